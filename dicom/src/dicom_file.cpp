// One DICOM file through GDCM (see dicom_file.h). GDCM reports through exceptions and its Trace
// stream: both end here, as a one-line reason that never quotes the file's fields.
#include "dicom_file.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <istream>
#include <streambuf>
#include <vector>

#include <zlib.h>

#include <gdcmDataSet.h>
#include <gdcmImage.h>
#include <gdcmImageReader.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmTrace.h>

namespace alzscan::dicom {
namespace {

// The caller's bytes as a seekable istream, without a copy (GDCM seeks while it parses).
class MemoryBuffer : public std::streambuf {
public:
    MemoryBuffer(const uint8_t* data, size_t size) {
        char* p = const_cast<char*>(reinterpret_cast<const char*>(data));
        setg(p, p, p + size);
    }

protected:
    pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override {
        const off_type base = dir == std::ios_base::beg ? 0 : dir == std::ios_base::cur ? gptr() - eback()
                                                                                         : egptr() - eback();
        return seekpos(pos_type(base + off), std::ios_base::in);
    }
    pos_type seekpos(pos_type pos, std::ios_base::openmode) override {
        const off_type at = off_type(pos);
        if (at < 0 || at > egptr() - eback()) return pos_type(off_type(-1));
        setg(eback(), eback() + at, egptr());
        return pos;
    }
};

// GDCM prints warnings and errors to std::cerr by default; a library that runs in the browser
// and must never echo a file's content keeps them off.
void quiet_gdcm() {
    gdcm::Trace::SetDebug(false);
    gdcm::Trace::SetWarning(false);
    gdcm::Trace::SetError(false);
}

std::string text(const gdcm::DataSet& ds, uint16_t group, uint16_t element) {
    const gdcm::Tag tag(group, element);
    if (!ds.FindDataElement(tag)) return "";
    const gdcm::ByteValue* bv = ds.GetDataElement(tag).GetByteValue();
    if (!bv || !bv->GetPointer()) return "";
    std::string s(bv->GetPointer(), std::min<size_t>(bv->GetLength(), 1024));
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    while (!s.empty() && s.front() == ' ') s.erase(s.begin());
    return s;
}

// A description for display: printable ASCII kept, anything else (control bytes, other
// character sets) shown as '?', at most 64 characters.
std::string printable(const std::string& s) {
    std::string out;
    for (char c : s.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out;
}

// A DS/IS value's numbers (backslash-separated); non-numbers end the list.
std::vector<double> numbers(const gdcm::DataSet& ds, uint16_t group, uint16_t element) {
    const std::string s = text(ds, group, element);
    std::vector<double> out;
    const char* p = s.c_str();
    while (*p) {
        char* end = nullptr;
        const double v = std::strtod(p, &end);
        if (end == p || !std::isfinite(v)) break;
        out.push_back(v);
        p = end;
        while (*p == ' ') ++p;
        if (*p == '\\') ++p;
        else break;
    }
    return out;
}

// A binary US value (Rows, Columns, ...) through GDCM's own decoding of the element.
int ushort_value(const gdcm::DataSet& ds, uint16_t group, uint16_t element) {
    const gdcm::Tag tag(group, element);
    if (!ds.FindDataElement(tag)) return 0;
    const gdcm::ByteValue* bv = ds.GetDataElement(tag).GetByteValue();
    if (!bv || bv->GetLength() < 2) return 0;
    const auto* b = reinterpret_cast<const uint8_t*>(bv->GetPointer());
    return b[0] | (b[1] << 8);   // GDCM holds values in little-endian order (it swaps big endian)
}

const gdcm::DataSet* first_item(const gdcm::DataSet& ds, uint16_t group, uint16_t element, size_t index = 0) {
    const gdcm::Tag tag(group, element);
    if (!ds.FindDataElement(tag)) return nullptr;
    gdcm::SmartPointer<gdcm::SequenceOfItems> sq = ds.GetDataElement(tag).GetValueAsSQ();
    if (!sq || sq->GetNumberOfItems() <= index) return nullptr;
    return &sq->GetItem(index + 1).GetNestedDataSet();   // GDCM's items count from 1
}

// The plane fields found in `ds` (a file's own data set or a functional group item) over `g`.
void plane_fields(const gdcm::DataSet& ds, FrameGeometry& g) {
    if (const auto v = numbers(ds, 0x0020, 0x0032); v.size() == 3) {
        g.position = {v[0], v[1], v[2]};
        g.has_position = true;
    }
    if (const auto v = numbers(ds, 0x0020, 0x0037); v.size() == 6) {
        for (int i = 0; i < 6; ++i) g.orientation[i] = v[i];
        g.has_orientation = true;
    }
    if (const auto v = numbers(ds, 0x0028, 0x0030); v.size() == 2 && v[0] > 0 && v[1] > 0) {
        g.pixel_spacing = {v[0], v[1]};
        g.has_spacing = true;
    }
    if (const auto v = numbers(ds, 0x0028, 0x1053); v.size() == 1 && v[0] != 0) g.slope = v[0];
    if (const auto v = numbers(ds, 0x0028, 0x1052); v.size() == 1) g.intercept = v[0];
}

// An enhanced multi-frame functional group item: its plane position, orientation, pixel
// measures and value transformation sequences over `g`.
void functional_group(const gdcm::DataSet& item, FrameGeometry& g) {
    for (const auto& [group, element] : {std::pair<uint16_t, uint16_t>{0x0020, 0x9113}, {0x0020, 0x9116},
                                         {0x0028, 0x9110}, {0x0028, 0x9145}})
        if (const gdcm::DataSet* seq = first_item(item, group, element)) plane_fields(*seq, g);
}

void frame_geometry(const gdcm::DataSet& ds, FileHeader& h) {
    FrameGeometry base;
    plane_fields(ds, base);
    if (const gdcm::DataSet* shared = first_item(ds, 0x5200, 0x9229)) functional_group(*shared, base);
    const gdcm::Tag per_frame(0x5200, 0x9230);
    gdcm::SmartPointer<gdcm::SequenceOfItems> sq;
    if (ds.FindDataElement(per_frame)) sq = ds.GetDataElement(per_frame).GetValueAsSQ();
    if (!sq || sq->GetNumberOfItems() == 0) {
        h.geometry.assign(1, base);
        return;
    }
    // One entry per frame when the sequence has one item per frame; else the first item's.
    const size_t items = sq->GetNumberOfItems();
    const size_t n = items == size_t(h.frames) ? items : 1;
    h.geometry.assign(n, base);
    for (size_t f = 0; f < n; ++f) functional_group(sq->GetItem(f + 1).GetNestedDataSet(), h.geometry[f]);
}

uint32_t le32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }
uint16_t le16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }

// A little-endian data set walked by its elements' lengths, into sequences, items and encapsulated
// pixel fragments, before GDCM reads it: GDCM allocates (and zero-fills) a declared length before it
// finds that the file is shorter, and its recovery from a damaged element reads lengths out of the
// wrong bytes (2.7 GB inside a 3 kB file's nested sequence, found by make fuzz). kCannotJudge: the
// walk meets something it does not follow (left to GDCM); "" when it finds nothing wrong.
constexpr const char* kCannotJudge = "?";
constexpr int kMaxNesting = 16;

struct Walk {
    const uint8_t* data;
    size_t size;
    bool explicit_vr;
    bool big_endian = false;   // explicit VR big endian (PS3.5 A.3, retired): tags and lengths
    uint16_t u16(size_t at) const { return big_endian ? uint16_t(data[at] << 8 | data[at + 1]) : le16(data + at); }
    uint32_t u32(size_t at) const {
        return big_endian ? uint32_t(data[at]) << 24 | uint32_t(data[at + 1]) << 16 | uint32_t(data[at + 2]) << 8 | data[at + 3]
                          : le32(data + at);
    }
};

// "(gggg,eeee)", as the messages name an element.
std::string tag_text(uint16_t group, uint16_t element) {
    char tag[16];
    std::snprintf(tag, sizeof tag, "(%04x,%04x)", group, element);
    return tag;
}

std::string beyond(uint16_t group, uint16_t element, uint64_t length, size_t left) {
    return "element " + tag_text(group, element) + " declares " + std::to_string(length) + " bytes, more than the " +
           std::to_string(left) + " left in the file (damaged or truncated)";
}

std::string walk_dataset(const Walk& w, size_t& at, size_t end, int depth, bool until_item_end);

// Group FFFE holds only items (E000) and their delimiters (E00D, E0DD): anything else is damage that
// GDCM reads on from (make fuzz: 3.6 GB for a 1 kB file).
std::string fffe_misplaced(uint16_t element) {
    return "element " + tag_text(0xFFFE, element) + " stands where only items and delimiters may (damaged)";
}

std::string item_outside_sequence(uint16_t element) {
    return "element " + tag_text(0xFFFE, element) + " stands outside any sequence (damaged)";
}

// PS3.5 6.2's value representations. GDCM throws on any other and its recovery then reads an
// element from the wrong bytes (make fuzz: a meta element of VR "TI" became an 875 MB length).
bool known_vr(const char vr[2]) {
    static const char* const kVrs[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT",
                                       "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST",
                                       "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"};
    for (const char* k : kVrs)
        if (vr[0] == k[0] && vr[1] == k[1]) return true;
    return false;
}

std::string unknown_vr(uint16_t group, uint16_t element, const char vr[2]) {
    return "element " + tag_text(group, element) + " has the unknown value representation \"" + std::string(vr, 2) +
           "\" (damaged or not DICOM)";
}

// Items (FFFE,E000) from `at` up to the sequence delimiter (FFFE,E0DD) or `end`; `raw`: pixel
// fragments, whose content is not a data set.
std::string walk_items(const Walk& w, size_t& at, size_t end, int depth, bool raw) {
    if (depth > kMaxNesting) return kCannotJudge;
    while (at + 8 <= end) {
        const uint16_t group = w.u16(at), element = w.u16(at + 2);
        const uint32_t length = w.u32(at + 4);
        // Between pixel fragments only items and the delimiter may stand: GDCM would read anything
        // else as an element and allocate whatever length its bytes spell (make fuzz: 3.6 GB).
        if (group != 0xFFFE)
            return raw ? "the pixel data's fragments are followed by bytes that are neither a fragment nor its end "
                         "(damaged or truncated)"
                       : kCannotJudge;
        if (element == 0xE0DD) {
            at += 8;
            return "";
        }
        if (element != 0xE000) return element == 0xE00D ? kCannotJudge : fffe_misplaced(element);
        at += 8;
        if (length == 0xFFFFFFFFu) {
            if (raw) return kCannotJudge;
            if (std::string m = walk_dataset(w, at, end, depth + 1, true); !m.empty()) return m;
            continue;
        }
        if (at + length > end) return beyond(group, element, length, end - at);
        size_t inner = at;
        if (!raw)
            if (std::string m = walk_dataset(w, inner, at + length, depth + 1, false); !m.empty()) return m;
        at += length;
    }
    return at == end ? "" : kCannotJudge;
}

// Elements from `at` to `end`, or to the item delimiter (FFFE,E00D) when `until_item_end`.
std::string walk_dataset(const Walk& w, size_t& at, size_t end, int depth, bool until_item_end) {
    if (depth > kMaxNesting) return kCannotJudge;
    while (at + 8 <= end) {
        const uint16_t group = w.u16(at), element = w.u16(at + 2);
        if (group == 0xFFFE) {
            if (until_item_end && element == 0xE00D) {
                at += 8;
                return "";
            }
            if (element != 0xE000 && element != 0xE00D && element != 0xE0DD) return fffe_misplaced(element);
            // An item or delimiter where no sequence is open: GDCM then falls back to guessing each
            // element's encoding and read lengths out of the wrong bytes (make fuzz: 1.3 GB for a
            // 138 kB file whose encapsulated pixel data declared 16 bytes, its fragments after them).
            if (!until_item_end) return item_outside_sequence(element);
            return kCannotJudge;
        }
        const char vr[2] = {char(w.data[at + 4]), char(w.data[at + 5])};
        uint64_t length, header;
        bool sequence = !w.explicit_vr;   // implicit VR: an undefined length is a sequence's
        if (w.explicit_vr) {
            if (!std::isupper(static_cast<unsigned char>(vr[0])) || !std::isupper(static_cast<unsigned char>(vr[1])))
                // Implicit VR although the transfer syntax says explicit. GDCM's recovery from that
                // reads lengths out of the wrong bytes (1.3 GB in pydicom's 4 kB SC_rgb_jpeg.dcm).
                return "its data set is written in implicit VR although its transfer syntax says explicit VR "
                       "(a non-conformant file): re-export it from the scanner or PACS";
            if (!known_vr(vr)) return unknown_vr(group, element, vr);
            static const char* long_vrs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
            bool is_long = false;
            for (const char* l : long_vrs) is_long = is_long || (vr[0] == l[0] && vr[1] == l[1]);
            if (is_long && at + 12 > end) return kCannotJudge;
            length = is_long ? w.u32(at + 8) : w.u16(at + 6);
            header = is_long ? 12 : 8;
            sequence = (vr[0] == 'S' && vr[1] == 'Q') || (vr[0] == 'U' && vr[1] == 'N');
        } else {
            length = w.u32(at + 4);
            header = 8;
        }
        at += header;
        if (length == 0xFFFFFFFFu) {
            const bool pixels = group == 0x7FE0 && element == 0x0010;
            if (!pixels && !sequence) return kCannotJudge;
            Walk inner = w;   // UN of undefined length: a sequence in implicit VR (PS3.5 6.2.2)
            if (w.explicit_vr && vr[0] == 'U' && vr[1] == 'N') inner.explicit_vr = false;
            if (std::string m = walk_items(inner, at, end, depth + 1, pixels); !m.empty()) return m;
            continue;
        }
        if (at + length > end) return beyond(group, element, length, end - at);
        if (w.explicit_vr && vr[0] == 'S' && vr[1] == 'Q' && length > 0) {
            // A sequence of defined length: GDCM reads its items too (make fuzz: a damaged nested
            // element's length, 4 GB, inside a 7 kB file's defined-length sequence).
            size_t inner = at;
            if (std::string m = walk_items(w, inner, at + length, depth + 1, false); !m.empty() && m != kCannotJudge) return m;
        }
        at += length;
    }
    return "";
}

// A deflated data set (raw deflate, PS3.5 A.5) inflated for the walk, up to kMaxDeflatedWalk bytes.
// `damaged`: zlib found the stream corrupt or cut short (GDCM then read a damaged 7 kB stream for
// 45 s into 3.7 GB: make fuzz); empty and not damaged when it is longer than the walk's limit.
constexpr size_t kMaxDeflatedWalk = size_t(256) << 20;

struct Inflated {
    std::vector<uint8_t> bytes;
    bool damaged = false;
};

Inflated inflate_data_set(const uint8_t* data, size_t size) {
    Inflated r;
    z_stream z{};
    if (inflateInit2(&z, -15) != Z_OK) return r;
    std::vector<uint8_t>& out = r.bytes;
    out.resize(std::min<size_t>(std::max<size_t>(size * 4, 1 << 16), kMaxDeflatedWalk));
    z.next_in = const_cast<Bytef*>(data);
    z.avail_in = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    int rc = Z_OK;
    bool full = false;
    while (rc == Z_OK) {
        if (z.total_out == out.size()) {
            if (out.size() >= kMaxDeflatedWalk) {
                full = true;
                break;
            }
            out.resize(std::min(out.size() * 2, kMaxDeflatedWalk));
        }
        z.next_out = out.data() + z.total_out;
        z.avail_out = static_cast<uInt>(out.size() - z.total_out);
        rc = inflate(&z, Z_NO_FLUSH);
    }
    const bool ok = rc == Z_STREAM_END;
    r.damaged = !ok && !full;
    out.resize(ok ? z.total_out : 0);
    inflateEnd(&z);
    return r;
}

// No file meta element is a sequence, so none has an undefined length: GDCM reads on from one as if
// it were (make fuzz: 3.6 GB and 5 s for a 140 kB file whose (0002,ffff) spelt FFFFFFFF).
std::string meta_undefined_length(uint16_t element) {
    return "file meta element " + tag_text(0x0002, element) + " has an undefined length, which no meta element may have (damaged)";
}

// The file's meta header (explicit VR little endian), its transfer syntax, then the data set
// (walk_dataset, big endian too, which GDCM read into 4 GB for a 10 kB file: make fuzz; inflated
// first when deflated); a file without them, its bare data set. Empty when nothing is wrong or it
// cannot judge.
std::string length_beyond_end(const uint8_t* data, size_t size) {
    if (size < 132 || std::memcmp(data + 128, "DICM", 4) != 0) {
        // No preamble and meta header: GDCM reads a bare data set from byte 0, in explicit VR when
        // its first element names a known VR, else implicit (make fuzz: an implicit element there
        // spelt a 775 MB length that GDCM allocated in a 3 kB file).
        if (size < 8) return "";
        const char vr[2] = {char(data[4]), char(data[5])};
        Walk bare{data, size, known_vr(vr)};
        bare.big_endian = bare.explicit_vr && le16(data) > 0xFF && data[0] == 0;   // group 0x0008 stored as 00 08
        size_t from = 0;
        const std::string m = walk_dataset(bare, from, size, 0, false);
        return m.empty() || m == kCannotJudge ? "" : "not a DICOM file, or a damaged one (no DICOM header, and as a bare data set " + m + ")";
    }
    size_t at = 132;
    // PS3.10 7.1: the file meta group follows "DICM". Without it GDCM guesses the encoding, and read a
    // 2 kB file's (0002) elements into 880 MB (make fuzz).
    if (size < 140 || le16(data + at) != 0x0002)
        return "its file meta header is missing (no group 0002 element after \"DICM\"): damaged or not DICOM";
    Walk w{data, size, true};
    bool deflated = false;
    while (at + 8 <= size && le16(data + at) == 0x0002) {
        const uint16_t element = le16(data + at + 2);
        const char vr[2] = {char(data[at + 4]), char(data[at + 5])};
        if (!std::isupper(static_cast<unsigned char>(vr[0])) || !std::isupper(static_cast<unsigned char>(vr[1]))) {
            // Written in implicit VR (some writers do, and GDCM reads it so): a 4-byte length, which
            // GDCM would allocate before finding that the file is shorter.
            const uint64_t length = le32(data + at + 4);
            if (length == 0xFFFFFFFFu) return meta_undefined_length(element);
            if (at + 8 + length > size) return beyond(0x0002, element, length, size - at - 8);
            return "";
        }
        if (!known_vr(vr)) return unknown_vr(0x0002, element, vr);
        const bool is_long = (vr[0] == 'O' && vr[1] == 'B') || (vr[0] == 'U' && (vr[1] == 'N' || vr[1] == 'T'));
        if (is_long && at + 12 > size) return "";
        const uint64_t length = is_long ? le32(data + at + 8) : le16(data + at + 6), header = is_long ? 12 : 8;
        if (length == 0xFFFFFFFFu) return meta_undefined_length(element);
        if (at + header + length > size) return beyond(0x0002, element, length, size - at - header);
        if (element == 0x0010) {
            std::string ts(reinterpret_cast<const char*>(data + at + header), size_t(length));
            while (!ts.empty() && (ts.back() == '\0' || ts.back() == ' ')) ts.pop_back();
            if (ts == "1.2.840.10008.1.2") w.explicit_vr = false;
            else if (ts == "1.2.840.10008.1.2.2") w.big_endian = true;
            else if (ts == "1.2.840.10008.1.2.1.99") deflated = true;
        }
        at += header + length;
    }
    std::string m;
    if (deflated) {
        const Inflated inflated = inflate_data_set(data + at, size - at);
        if (inflated.damaged) return "its deflated data set cannot be inflated (damaged or truncated)";
        if (inflated.bytes.empty()) return "";
        const Walk d{inflated.bytes.data(), inflated.bytes.size(), true};
        size_t from = 0;
        m = walk_dataset(d, from, inflated.bytes.size(), 0, false);
    } else {
        m = walk_dataset(w, at, size, 0, false);
    }
    return m == kCannotJudge ? "" : m;
}

}  // namespace

FileHeader read_header(const uint8_t* data, size_t size) {
    FileHeader h;
    quiet_gdcm();
    if (const std::string bad = length_beyond_end(data, size); !bad.empty()) {
        h.reason = bad;
        return h;
    }
    try {
        MemoryBuffer buffer(data, size);
        std::istream in(&buffer);
        gdcm::Reader reader;
        reader.SetStream(in);
        if (!reader.ReadUpToTag(gdcm::Tag(0x7fe0, 0x0010))) {
            h.reason = "not a DICOM file, or a damaged one (GDCM cannot parse it)";
            return h;
        }
        const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
        const gdcm::TransferSyntax& ts = reader.GetFile().GetHeader().GetDataSetTransferSyntax();
        h.encapsulated = ts.IsEncapsulated() || ts == gdcm::TransferSyntax::DeflatedExplicitVRLittleEndian;
        h.series_uid = text(ds, 0x0020, 0x000e);
        h.description = printable(text(ds, 0x0008, 0x103e));
        h.study_description = printable(text(ds, 0x0008, 0x1030));
        h.modality = printable(text(ds, 0x0008, 0x0060));
        if (const auto v = numbers(ds, 0x0020, 0x0011); v.size() == 1 && std::abs(v[0]) < 1e9) h.series_number = int(v[0]);
        h.rows = ushort_value(ds, 0x0028, 0x0010);
        h.columns = ushort_value(ds, 0x0028, 0x0011);
        h.bits_allocated = ushort_value(ds, 0x0028, 0x0100);
        h.bits_stored = ushort_value(ds, 0x0028, 0x0101);
        if (ds.FindDataElement(gdcm::Tag(0x0028, 0x0103))) h.pixel_representation = ushort_value(ds, 0x0028, 0x0103);
        h.samples_per_pixel = ds.FindDataElement(gdcm::Tag(0x0028, 0x0002)) ? ushort_value(ds, 0x0028, 0x0002) : 1;
        if (const auto v = numbers(ds, 0x0028, 0x0008); !v.empty()) h.frames = v[0] >= 1 && v[0] < 1e9 ? int(v[0]) : 0;
        if (const auto v = numbers(ds, 0x0018, 0x0088); v.size() == 1 && v[0] > 0) h.slice_gap = v[0];
        else if (const auto t = numbers(ds, 0x0018, 0x0050); t.size() == 1 && t[0] > 0) h.slice_gap = t[0];
        // A dose grid or a segmentation has Rows and Columns too, but it is no picture of a brain.
        if (h.modality == "RTDOSE" || h.modality == "SEG" || h.modality == "RTSTRUCT") {
            h.reason = "a " + h.modality + " object, not an image: alzscan reads MR (or CT) series";
            return h;
        }
        h.is_image = h.rows > 0 && h.columns > 0;   // the pixel data itself is checked when decoded
        if (!h.is_image) {
            h.reason = "holds no image (no Rows/Columns)";
            return h;
        }
        if (h.frames < 1) {
            h.is_image = false;
            h.reason = "NumberOfFrames is not a positive number";
            return h;
        }
        frame_geometry(ds, h);
    } catch (const std::exception&) {
        h.is_image = false;
        h.reason = "not a DICOM file, or a damaged one (GDCM cannot parse it)";
    }
    return h;
}

namespace {

template <class T>
void widen(const char* bytes, size_t count, std::vector<double>& out) {
    out.resize(count);
    for (size_t i = 0; i < count; ++i) {
        T v;
        std::memcpy(&v, bytes + i * sizeof(T), sizeof(T));
        out[i] = static_cast<double>(v);
    }
}

std::string colour_image(int samples) {
    return "a colour image (" + std::to_string(samples) + " samples per pixel): alzscan reads grey MR or CT series";
}

}  // namespace

bool read_frames(const uint8_t* data, size_t size, const FileHeader& header, std::vector<double>& values,
                 std::string& datatype, std::string& error) {
    quiet_gdcm();
    // Refused from the header, before GDCM decodes (and converts) a colour stream it cannot use.
    if (header.samples_per_pixel != 1) {
        error = colour_image(header.samples_per_pixel);
        return false;
    }
    try {
        MemoryBuffer buffer(data, size);
        std::istream in(&buffer);
        gdcm::ImageReader reader;
        reader.SetStream(in);
        if (!reader.Read()) {
            error = "GDCM cannot read its image (damaged, truncated, or an image kind it does not know)";
            return false;
        }
        const gdcm::Image& image = reader.GetImage();
        const gdcm::PixelFormat& pf = image.GetPixelFormat();
        if (pf.GetSamplesPerPixel() != 1) {
            error = colour_image(pf.GetSamplesPerPixel());
            return false;
        }
        // A compressed stream whose signedness contradicts the header's PixelRepresentation: two
        // readings of the same values disagree, so neither is trusted.
        if (header.pixel_representation >= 0 && pf.GetPixelRepresentation() != header.pixel_representation) {
            error = "its pixel data is " + std::string(pf.GetPixelRepresentation() ? "signed" : "unsigned") +
                    " where PixelRepresentation says " + (header.pixel_representation ? "signed" : "unsigned") +
                    "; re-export the series from the scanner or PACS";
            return false;
        }
        const size_t count = size_t(header.columns) * size_t(header.rows) * size_t(header.frames);
        const char* ts = gdcm::TransferSyntax::GetTSString(image.GetTransferSyntax());
        struct Kind { gdcm::PixelFormat::ScalarType type; const char* name; size_t bytes; };
        static const Kind kinds[] = {
            {gdcm::PixelFormat::UINT8, "uint8", 1},   {gdcm::PixelFormat::INT8, "int8", 1},
            {gdcm::PixelFormat::UINT12, "uint16", 2}, {gdcm::PixelFormat::INT12, "int16", 2},
            {gdcm::PixelFormat::UINT16, "uint16", 2}, {gdcm::PixelFormat::INT16, "int16", 2},
            {gdcm::PixelFormat::UINT32, "uint32", 4}, {gdcm::PixelFormat::INT32, "int32", 4},
            {gdcm::PixelFormat::FLOAT32, "float32", 4}, {gdcm::PixelFormat::FLOAT64, "float64", 8}};
        const Kind* kind = nullptr;
        for (const Kind& k : kinds)
            if (k.type == pf.GetScalarType()) kind = &k;
        if (!kind) {
            error = std::string("pixels of type ") + pf.GetScalarTypeAsString() + ", which alzscan does not read";
            return false;
        }
        const size_t want = count * kind->bytes;
        if (image.GetBufferLength() != want) {
            error = "the image holds " + std::to_string(image.GetBufferLength()) + " bytes of pixels where " +
                    std::to_string(header.frames) + " frame(s) of " + std::to_string(header.columns) + "x" +
                    std::to_string(header.rows) + " need " + std::to_string(want);
            return false;
        }
        std::vector<char> raw(want);
        if (!image.GetBuffer(raw.data())) {
            error = std::string("GDCM cannot decode its pixel data (transfer syntax ") + (ts ? ts : "unknown") +
                    "; damaged, truncated, or shorter than its NumberOfFrames x Rows x Columns)";
            return false;
        }
        datatype = kind->name;
        const bool integer = kind->type != gdcm::PixelFormat::FLOAT32 && kind->type != gdcm::PixelFormat::FLOAT64;
        const int stored = header.bits_stored;
        const bool narrow = integer && stored > 0 && stored < int(kind->bytes) * 8;
        switch (kind->type) {
            case gdcm::PixelFormat::UINT8: widen<uint8_t>(raw.data(), count, values); break;
            case gdcm::PixelFormat::INT8: widen<int8_t>(raw.data(), count, values); break;
            case gdcm::PixelFormat::UINT12:
            case gdcm::PixelFormat::UINT16: widen<uint16_t>(raw.data(), count, values); break;
            case gdcm::PixelFormat::INT12:
            case gdcm::PixelFormat::INT16: widen<int16_t>(raw.data(), count, values); break;
            case gdcm::PixelFormat::UINT32: widen<uint32_t>(raw.data(), count, values); break;
            case gdcm::PixelFormat::INT32: widen<int32_t>(raw.data(), count, values); break;
            case gdcm::PixelFormat::FLOAT32: widen<float>(raw.data(), count, values); break;
            default: widen<double>(raw.data(), count, values); break;
        }
        // Only the BitsStored low bits are the value (DICOM PS3.5 8.1.1), sign-extended when signed:
        // some decoders hand back a signed 13-bit value unextended (6192 for -2000).
        if (narrow) {
            const double span = std::ldexp(1.0, stored);
            const bool is_signed = header.pixel_representation == 1;
            for (double& v : values) {
                double low = std::fmod(v, span);
                if (low < 0) low += span;
                v = is_signed && low >= span / 2 ? low - span : low;
            }
        }
        return true;
    } catch (const std::bad_alloc&) {
        error = "out of memory while decoding its pixel data";
    } catch (const std::exception&) {
        error = "GDCM cannot decode its pixel data (damaged or truncated)";
    }
    return false;
}

}  // namespace alzscan::dicom
