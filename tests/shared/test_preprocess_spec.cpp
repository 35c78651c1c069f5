// PreprocessSpec JSON: round trip, the documented example, and every malformed spec gets a
// message naming the key. Nothing here may throw (the suite runs as WebAssembly too).
#include <gtest/gtest.h>

#include "alzscan/preprocess_spec.h"
#include "nlohmann/json.hpp"

using namespace alzscan;

namespace {

std::string spec_error(const std::string& text) {
    auto s = parse_preprocess_spec(text);
    EXPECT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.error().find('\n'), std::string::npos) << s.error();
    return s.error();
}

// The example from preprocess_spec.h, with one member replaced.
std::string example_with(const std::string& key, const std::string& value) {
    nlohmann::json j = nlohmann::json::parse(R"({
      "input": {"name": "input", "layout": "NCHW", "channels": 1, "height": 128, "width": 128,
                "mean": 0.5, "std": 0.5, "resize": "area"},
      "classes": ["Mild_Demented", "Moderate_Demented", "Non_Demented", "Very_Mild_Demented"]})");
    nlohmann::json v = nlohmann::json::parse(value);
    if (key == "classes")
        j["classes"] = v;
    else if (value == "null")
        j["input"].erase(key);
    else
        j["input"][key] = v;
    return j.dump();
}

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

}  // namespace

TEST(SpecJson, DocumentedExampleParses) {
    auto s = parse_preprocess_spec(R"({
      "format": "alzscan-model/1", "outputs": [{"name": "probabilities"}],
      "input":   {"name": "input", "layout": "NCHW", "channels": 1, "height": 128, "width": 128,
                  "mean": 0.5, "std": 0.5, "resize": "area"},
      "classes": ["Mild_Demented", "Moderate_Demented", "Non_Demented", "Very_Mild_Demented"]})");
    ASSERT_TRUE(s.ok()) << s.error();
    EXPECT_EQ(s->input_name, "input");
    EXPECT_EQ(s->channels, 1);
    EXPECT_EQ(s->height, 128);
    EXPECT_EQ(s->width, 128);
    EXPECT_EQ(s->mean, 0.5f);
    EXPECT_EQ(s->std, 0.5f);
    EXPECT_EQ(s->resize, "area");
    EXPECT_EQ(s->class_names, default_class_names());
}

TEST(SpecJson, DefaultClassNamesAreTheDatasetsInHfOrder) {
    EXPECT_EQ(default_class_names(),
              (std::vector<std::string>{"Mild_Demented", "Moderate_Demented", "Non_Demented",
                                        "Very_Mild_Demented"}));
}

TEST(SpecJson, RoundTripIsExact) {
    PreprocessSpec spec;
    spec.input_name = "pixels";
    spec.height = 200;
    spec.width = 224;
    spec.mean = 0.449f;  // not exactly representable: float -> JSON -> float must be exact
    spec.std = 0.226f;
    spec.class_names = {"a", "b", "c \"quoted\" \xC3\xA9"};
    const std::string text = preprocess_spec_to_json(spec);
    auto back = parse_preprocess_spec(text);
    ASSERT_TRUE(back.ok()) << back.error() << "\n" << text;
    EXPECT_EQ(back->input_name, spec.input_name);
    EXPECT_EQ(back->height, 200);
    EXPECT_EQ(back->width, 224);
    EXPECT_EQ(back->mean, spec.mean);
    EXPECT_EQ(back->std, spec.std);
    EXPECT_EQ(back->resize, "area");
    EXPECT_EQ(back->class_names, spec.class_names);
    EXPECT_EQ(preprocess_spec_to_json(*back), text);
    // The layout the JSON contract documents.
    auto j = nlohmann::json::parse(text);
    EXPECT_EQ(j["input"]["layout"], "NCHW");
    EXPECT_EQ(j["input"]["channels"], 1);
    EXPECT_EQ(j["classes"].size(), 3u);
}

TEST(SpecJson, OptionalMembersDefault) {
    auto s = parse_preprocess_spec(R"({"input": {"height": 64, "width": 32, "mean": 0, "std": 1},
                                       "classes": ["x", "y"]})");
    ASSERT_TRUE(s.ok()) << s.error();
    EXPECT_EQ(s->input_name, "input");
    EXPECT_EQ(s->resize, "area");
    EXPECT_EQ(s->channels, 1);
    EXPECT_EQ(s->height, 64);
    EXPECT_EQ(s->width, 32);
}

TEST(SpecJson, InvalidJson) {
    EXPECT_HAS(spec_error(""), "model.json is empty");
    EXPECT_HAS(spec_error("  \n"), "model.json is empty");
    EXPECT_HAS(spec_error(R"({"input": {"height": 128,})"), "model.json is not valid JSON: syntax error at byte");
    EXPECT_HAS(spec_error("[1, 2]"), "model.json: expected a JSON object at the top level (got array)");
    EXPECT_HAS(spec_error("\"text\""), "(got string)");
}

TEST(SpecJson, MissingKeysAreNamed) {
    EXPECT_HAS(spec_error(R"({"classes": ["a", "b"]})"), "model.json: missing key \"input\"");
    EXPECT_HAS(spec_error(example_with("height", "null")), "missing key \"input.height\"");
    EXPECT_HAS(spec_error(example_with("width", "null")), "missing key \"input.width\"");
    EXPECT_HAS(spec_error(example_with("mean", "null")), "missing key \"input.mean\"");
    EXPECT_HAS(spec_error(example_with("std", "null")), "missing key \"input.std\"");
    EXPECT_HAS(spec_error(R"({"input": {"height": 1, "width": 1, "mean": 0, "std": 1}})"),
               "missing key \"classes\"");
}

TEST(SpecJson, WrongTypesAreNamed) {
    EXPECT_HAS(spec_error(R"({"input": 5, "classes": ["a", "b"]})"), "input must be an object (got number)");
    EXPECT_HAS(spec_error(example_with("height", "\"128\"")), "input.height must be an integer (got string \"128\")");
    EXPECT_HAS(spec_error(example_with("width", "128.5")), "input.width must be an integer (got number 128.5)");
    EXPECT_HAS(spec_error(example_with("mean", "\"0.5\"")), "input.mean must be a number (got string");
    EXPECT_HAS(spec_error(example_with("std", "[0.5]")), "input.std must be a number (got array");
    EXPECT_HAS(spec_error(example_with("name", "7")), "input.name must be a string (got number");
    EXPECT_HAS(spec_error(example_with("resize", "true")), "input.resize must be a string (got boolean");
    EXPECT_HAS(spec_error(example_with("classes", "{\"a\": 1}")), "classes must be a list of class names (got object)");
}

TEST(SpecJson, OutOfRangeValues) {
    EXPECT_HAS(spec_error(example_with("std", "0")), "model.json: input.std must be > 0 (got 0)");
    EXPECT_HAS(spec_error(example_with("std", "-0.5")), "input.std must be > 0 (got -0.5)");
    EXPECT_HAS(spec_error(example_with("std", "1e-50")), "input.std must be > 0 (got 1e-50)");  // 0 as float
    EXPECT_HAS(spec_error(example_with("mean", "1e300")), "input.mean must be a finite number");
    EXPECT_HAS(spec_error(example_with("height", "0")), "input.height must be 1..8192 (got 0)");
    EXPECT_HAS(spec_error(example_with("width", "-3")), "input.width must be 1..8192 (got -3)");
    EXPECT_HAS(spec_error(example_with("height", "9000")), "input.height must be 1..8192 (got 9000)");
    EXPECT_HAS(spec_error(example_with("height", "18446744073709551615")), "input.height must be 1..8192");
    EXPECT_HAS(spec_error(example_with("channels", "3")), "input.channels must be 1..1 (got 3)");
    EXPECT_HAS(spec_error(example_with("layout", "\"NHWC\"")), "input.layout must be \"NCHW\" (got \"NHWC\")");
    EXPECT_HAS(spec_error(example_with("resize", "\"bilinear\"")), "input.resize must be \"area\" (got \"bilinear\")");
    EXPECT_HAS(spec_error(example_with("name", "\"\"")), "input.name must not be empty");
}

TEST(SpecJson, BadClassLists) {
    EXPECT_HAS(spec_error(example_with("classes", "[]")), "classes must name at least 2 classes (got 0)");
    EXPECT_HAS(spec_error(example_with("classes", "[\"only\"]")), "at least 2 classes (got 1)");
    EXPECT_HAS(spec_error(example_with("classes", "[\"a\", 2]")), "classes[1] must be a string (got number)");
    EXPECT_HAS(spec_error(example_with("classes", "[\"a\", \"\"]")), "classes[1] must not be empty");
    EXPECT_HAS(spec_error(example_with("classes", "[\"a\", \"b\", \"a\"]")), "classes[2] repeats the class name \"a\"");
}

TEST(SpecJson, HostileInputNeverThrows) {
    // Deep nesting, invalid UTF-8, huge numbers, NUL bytes: errors, not exceptions or aborts.
    std::string deep(20000, '[');
    EXPECT_FALSE(parse_preprocess_spec(deep).ok());
    EXPECT_FALSE(parse_preprocess_spec(deep + std::string(20000, ']')).ok());
    EXPECT_FALSE(parse_preprocess_spec("{\"input\": \"\xFF\xFE\"}").ok());
    EXPECT_FALSE(parse_preprocess_spec(std::string("{\"in\0put\": 1}", 13)).ok());
    PreprocessSpec bad_utf8;
    bad_utf8.class_names = {"ok", "\xFF\xFE broken"};
    const std::string text = preprocess_spec_to_json(bad_utf8);  // must not throw
    EXPECT_TRUE(parse_preprocess_spec(text).ok()) << text;
}
