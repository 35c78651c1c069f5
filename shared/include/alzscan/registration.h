// alzscan/registration.h: a 12-parameter affine registration of any T1 head or brain volume to the
// reference that defines the training space (Colin27 from Debian's mricron-data, decision 0013).
//
//   auto ref = alzscan::make_reference(decode_nifti(ch2, n2).value(), decode_nifti(ch2bet, nb).value());   // once
//   auto reg = alzscan::register_affine(*decode_nifti(bytes, n), *ref);
//   if (!reg) show(reg.error());
//   Vec3 subject_mm = reg->template_to_subject.apply(template_mm);
//
// Data contract:
//   Reference     the template with skull (`head`) and its brain alone (`brain`, 0 outside), both
//                 turned to the training orientation (LPS, nifti.h), as block-mean pyramids at 2, 4
//                 and 8 mm (index 0, 1, 2); the brain also on the template's 1 mm grid (`brain1`). `labels` (2 mm)
//                 is the brain's three tissues by a 3-class Otsu threshold of its voxels: 1 CSF,
//                 2 grey matter, 3 white matter, 0 outside. `band` is the k range (1 mm grid)
//                 of the training stacks: scan.h's axial_slab of the brain, 0.40..0.62 of its extent.
//   register_affine  finds T (template world mm -> subject world mm, y = M x + t, 12 parameters)
//                 maximising the squared normalised cross-correlation of the template and the
//                 subject sampled through T: Gauss-Newton with Levenberg damping on the residual of
//                 the least-squares intensity fit F = a S + b, over the pyramid 8 -> 4 -> 2 mm.
//                 Start: the subject's foreground centre of mass on the template's, with and
//                 without the principal-axes rotation, shifted 0 and +-25 mm superior (a neck
//                 lowers the centre of mass), against both templates (head, brain); the best
//                 correlation after the 8 mm level is refined. `ncc` is the final correlation on
//                 the 2 mm samples (negative when the contrast is inverted: a < 0).
//                 The subject is read in world coordinates through its own affine, so any
//                 orientation, voxel size or obliquity needs no prior reslicing.
//                 Errors: a volume under 8 voxels along an axis ("a single slice ..."), a field of
//                 view over kMaxFieldOfViewMm, no foreground.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "alzscan/affine.h"
#include "alzscan/expected.h"
#include "alzscan/nifti.h"

namespace alzscan {

constexpr double kMaxFieldOfViewMm = 500;

struct Reference {
    Grid brain1;                     // 1 mm, training orientation
    std::array<Grid, 3> head, brain;  // 2, 4, 8 mm
    Grid labels;                     // 2 mm: 0 outside, 1 CSF, 2 GM, 3 WM
    int band_first = 0, band_last = 0;   // k of the training stacks' band on the 1 mm grid
    std::array<int, 32> band{};          // the 32 slices of that band (axial_slab's choice)
};

Expected<Reference> make_reference(Volume head, Volume brain);   // moved in: freed as it goes

struct Registration {
    Affine template_to_subject;      // template world mm -> subject world mm
    double ncc = 0;                  // at 2 mm over the template's sampled region
    double intensity_slope = 0;      // a of F = a S + b (template per subject unit)
    std::string template_used;       // "head" | "brain"
    std::string start;               // which starting point won, e.g. "centre of mass +25 mm superior"
    int iterations = 0;              // Gauss-Newton steps over all levels
};

Expected<Registration> register_affine(const Volume& subject, const Reference& ref);

// The same registration in steps, for a front end that draws its progress between them (the app, a
// step per frame): register_affine is start, step until done, result, so both give the same bytes.
//   auto run = RegistrationRun::start(subject, ref);        // the checks, pyramids, samples, starts
//   while (!run->done()) { run->step(); show(run->progress()); }
//   Registration reg = run->result();
// A step is one start at 8 mm or one Levenberg-Marquardt iteration of a level; `ref` must outlive
// the run, `subject` need not.
class RegistrationRun {
public:
    struct State;
    RegistrationRun();
    RegistrationRun(RegistrationRun&&) noexcept;
    RegistrationRun& operator=(RegistrationRun&&) noexcept;
    ~RegistrationRun();

    static Expected<RegistrationRun> start(const Volume& subject, const Reference& ref);
    bool done() const;
    void step();
    double progress() const;        // 0..1 of the steps' work (1 when done)
    Registration result() const;    // once done

private:
    std::unique_ptr<State> state_;
};

}  // namespace alzscan
