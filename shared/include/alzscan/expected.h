// alzscan/expected.h: a value or a one-line error, without exceptions.
//
//   alzscan::Expected<GrayImage> r = alzscan::decode_gray(bytes, n);
//   if (!r) { show(r.error()); return; }   // "the PNG header says 60000x60000 pixels: over the 8192 px limit per side; ..."
//   GrayImage img = std::move(r).value();
//
// shared/ never throws and never aborts: it also runs as WebAssembly, where an uncaught
// exception would abort the whole page. Every failure is a value with a message that names
// the offending value and, where one exists, a hint.
#pragma once

#include <string>
#include <utility>

namespace alzscan {

struct Error {
    std::string message;
};

template <class T>
class Expected {
public:
    Expected(T value) : value_(std::move(value)), ok_(true) {}
    Expected(Error error) : error_(std::move(error.message)), ok_(false) {}

    explicit operator bool() const { return ok_; }
    bool ok() const { return ok_; }

    const T& value() const& { return value_; }
    T& value() & { return value_; }
    T&& value() && { return std::move(value_); }
    const T& operator*() const& { return value_; }
    const T* operator->() const { return &value_; }
    T* operator->() { return &value_; }

    // Empty when ok().
    const std::string& error() const { return error_; }

private:
    T value_{};
    std::string error_;
    bool ok_ = false;
};

inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace alzscan
