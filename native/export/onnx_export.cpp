// ONNX export: walks the Classifier by module type and emits opset-17 nodes (see onnx_export.h).
#include "export/onnx_export.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "export/sha256.h"
#include "export/weight_quantization.h"
#include "models/blocks.h"
#include "models/efficientnet.h"
#include "models/heads.h"
#include "models/resnet.h"
#include "models/small.h"
#include "rundir/files.h"
#include "rundir/run_dir.h"

namespace alzscan {

namespace {

namespace tnn = torch::nn;
namespace fs = std::filesystem;

constexpr int64_t kOpset = 17;
constexpr int64_t kIrVersion = 8;

void add_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_INTS);
    for (int64_t x : v) a->add_ints(x);
}

void add_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_INT);
    a->set_i(v);
}

// Builds one GraphProto while recording which modules and state entries it translated.
class GraphWriter {
public:
    GraphWriter(onnx::GraphProto* graph, Classifier& net, WeightFormat weights) : graph_(graph), weights_(weights) {
        for (const auto& p : net->named_parameters()) state_[p.key()] = false;
        for (const auto& b : net->named_buffers()) state_[b.key()] = false;
        for (const auto& m : net->named_modules()) modules_[m.key()] = m.value()->name();
    }

    // Marks a module (by its path in the Classifier) as translated.
    void visit(const std::string& path) {
        if (!modules_.count(path))
            throw std::runtime_error("exporter bug: no module '" + path + "' in the network");
        visited_.insert(path);
    }

    // Marks a parameter/buffer as translated and returns it (errors on a name the net lacks).
    torch::Tensor take(const std::string& name, const torch::Tensor& t) {
        auto it = state_.find(name);
        if (it == state_.end())
            throw std::runtime_error("exporter bug: the network has no tensor '" + name + "'");
        it->second = true;
        return t;
    }

    std::string value(const std::string& hint) { return hint + ":" + std::to_string(counter_++); }

    std::string initializer(const std::string& name, const torch::Tensor& t) {
        torch::Tensor f = t.detach().to(torch::kFloat).contiguous().cpu();
        onnx::TensorProto* init = graph_->add_initializer();
        init->set_name(name);
        init->set_data_type(onnx::TensorProto_DataType_FLOAT);
        for (int64_t d : f.sizes()) init->add_dims(d);
        init->set_raw_data(f.data_ptr(), static_cast<size_t>(f.numel()) * sizeof(float));
        return name;
    }

    std::string initializer_int64(const std::string& name, const std::vector<int64_t>& values) {
        onnx::TensorProto* init = graph_->add_initializer();
        init->set_name(name);
        init->set_data_type(onnx::TensorProto_DataType_INT64);
        init->add_dims(static_cast<int64_t>(values.size()));
        for (int64_t v : values) init->add_int64_data(v);
        return name;
    }

    // A Conv/Gemm weight [C_out, ...]: a float initializer, or (WeightFormat::kInt8) int8 values and
    // per-channel scales behind a DequantizeLinear node whose output carries the name.
    std::string weight(const std::string& name, const torch::Tensor& t) {
        if (weights_ == WeightFormat::kFloat32) return initializer(name, t);
        const QuantizedWeight qw = quantize_per_channel_int8(t);
        onnx::TensorProto* q = graph_->add_initializer();
        q->set_name(name + ".int8");
        q->set_data_type(onnx::TensorProto_DataType_INT8);
        for (int64_t d : qw.q.sizes()) q->add_dims(d);
        q->set_raw_data(qw.q.data_ptr(), static_cast<size_t>(qw.q.numel()));
        const std::string scale = initializer(name + ".scale", qw.scale);
        add_int(node("DequantizeLinear", {q->name(), scale}, name, name), "axis", 0);
        return name;
    }

    onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output,
                          const std::string& name_hint) {
        onnx::NodeProto* n = graph_->add_node();
        n->set_op_type(op);
        n->set_name(name_hint + "/" + op + "_" + std::to_string(counter_++));
        for (const auto& i : inputs) n->add_input(i);
        n->add_output(output);
        return n;
    }

    std::string op(const std::string& op, const std::vector<std::string>& inputs, const std::string& hint) {
        const std::string out = value(hint + "/" + op);
        node(op, inputs, out, hint);
        return out;
    }

    // Everything in the network that no emitter translated: must be empty.
    std::vector<std::string> untranslated() const {
        std::vector<std::string> left;
        for (const auto& kv : modules_)
            if (!visited_.count(kv.first)) left.push_back("module '" + kv.first + "' (" + kv.second + ")");
        for (const auto& kv : state_)
            if (!kv.second) left.push_back("tensor '" + kv.first + "'");
        return left;
    }

private:
    onnx::GraphProto* graph_;
    WeightFormat weights_;
    std::map<std::string, bool> state_;
    std::map<std::string, std::string> modules_;
    std::set<std::string> visited_;
    int64_t counter_ = 0;
};

class Exporter {
public:
    Exporter(onnx::GraphProto* graph, Classifier& net, WeightFormat weights) : w_(graph, net, weights), net_(net) {}
    GraphWriter& writer() { return w_; }

    // The graph's named values: the last feature maps, the pooled features and the logits.
    struct Values {
        std::string maps, pooled, logits;
    };

    Values run(const std::string& input) {
        w_.visit("");
        Values v;
        v.maps = backbone(input);
        std::string x = w_.op("GlobalAveragePool", {v.maps}, "pool");
        onnx::NodeProto* flat = w_.node("Flatten", {x}, w_.value("pool/Flatten"), "pool");
        add_int(flat, "axis", 1);
        v.pooled = flat->output(0);
        v.logits = head(v.pooled);
        const auto left = w_.untranslated();
        if (!left.empty()) {
            std::string msg = "cannot export: the ONNX exporter does not know " + left.front();
            if (left.size() > 1) msg += " (and " + std::to_string(left.size() - 1) + " more)";
            throw std::runtime_error(msg + "; supported: blocks of models/blocks.h and heads of models/heads.h");
        }
        return v;
    }

    // Class activation maps of a pooling + linear head: each class's classifier row as a 1x1
    // convolution over the last feature maps (no bias): Grad-CAM's weights for such a head, up to
    // the 1/(h*w) of the pooling. Reuses the (dequantized) weight value the logits use.
    std::string cam(const std::string& maps, int64_t classes, int64_t features) {
        const std::string shape =
            w_.initializer_int64("cam.weight_shape", {classes, features, 1, 1});
        const std::string kernel = w_.op("Reshape", {"head.fc.weight", shape}, "cam");
        return w_.op("Conv", {maps, kernel}, "cam");
    }

private:
    // ---- BatchNorm folding ------------------------------------------------------------------
    // A BatchNorm (1d or 2d) in eval mode is y = x * scale + shift per channel, with
    //   scale = gamma / sqrt(var + eps),  shift = beta - mean * scale   (double precision).
    // The preceding Conv/Linear absorbs it: W' = W * scale, b' = b * scale + shift.
    struct BnFold {
        torch::Tensor scale, shift;
    };
    template <class BatchNormImpl>
    BnFold take_bn(const std::string& bn_path, BatchNormImpl& bn) {
        w_.visit(bn_path);
        if (!bn.options.affine() || !bn.options.track_running_stats())
            throw std::runtime_error("cannot export " + bn_path + ": BatchNorm needs affine + running stats");
        torch::Tensor gamma = w_.take(bn_path + ".weight", bn.weight).to(torch::kDouble);
        torch::Tensor beta = w_.take(bn_path + ".bias", bn.bias).to(torch::kDouble);
        torch::Tensor mean = w_.take(bn_path + ".running_mean", bn.running_mean).to(torch::kDouble);
        torch::Tensor var = w_.take(bn_path + ".running_var", bn.running_var).to(torch::kDouble);
        w_.take(bn_path + ".num_batches_tracked", bn.num_batches_tracked);
        torch::Tensor scale = gamma / torch::sqrt(var + bn.options.eps());
        return {scale, beta - mean * scale};
    }

    // ---- convolutions ----------------------------------------------------------------------
    // Conv2d (+ BatchNorm2d folded in) (+ activation). Folding in double precision:
    //   s = gamma / sqrt(var + eps);  W' = W * s;  b' = (b - mean) * s + beta.
    std::string conv_bn(const std::string& x, const std::string& conv_path, tnn::Conv2dImpl& conv,
                        const std::string& bn_path, tnn::BatchNorm2dImpl* bn, Act act) {
        w_.visit(conv_path);
        const auto& o = conv.options;
        if (!c10::get_if<torch::ExpandingArray<2>>(&o.padding()))
            throw std::runtime_error("cannot export " + conv_path + ": only explicit padding is supported");
        if (!c10::get_if<torch::enumtype::kZeros>(&o.padding_mode()))
            throw std::runtime_error("cannot export " + conv_path + ": only zero padding is supported");
        torch::Tensor weight = w_.take(conv_path + ".weight", conv.weight).to(torch::kDouble);
        torch::Tensor bias = conv.bias.defined() ? w_.take(conv_path + ".bias", conv.bias).to(torch::kDouble)
                                                 : torch::zeros({weight.size(0)}, torch::kDouble);
        if (bn) {
            const BnFold f = take_bn(bn_path, *bn);
            weight = weight * f.scale.view({-1, 1, 1, 1});
            bias = bias * f.scale + f.shift;
        }
        const std::string wname = w_.weight(conv_path + (bn ? ".weight_bn_folded" : ".weight"), weight);
        const std::string bname = w_.initializer(conv_path + (bn ? ".bias_bn_folded" : ".bias"), bias);
        onnx::NodeProto* n = w_.node("Conv", {x, wname, bname}, w_.value(conv_path), conv_path);
        const auto& k = *o.kernel_size();
        const auto& s = *o.stride();
        const auto& p = *c10::get<torch::ExpandingArray<2>>(o.padding());
        const auto& d = *o.dilation();
        add_ints(n, "kernel_shape", {k[0], k[1]});
        add_ints(n, "strides", {s[0], s[1]});
        add_ints(n, "pads", {p[0], p[1], p[0], p[1]});
        add_ints(n, "dilations", {d[0], d[1]});
        add_int(n, "group", o.groups());
        return activation(n->output(0), act, conv_path);
    }

    std::string activation(const std::string& x, Act act, const std::string& hint) {
        switch (act) {
            case Act::relu: return w_.op("Relu", {x}, hint);
            case Act::silu: return w_.op("Mul", {x, w_.op("Sigmoid", {x}, hint)}, hint);   // SiLU
            case Act::none: break;
        }
        return x;
    }

    std::string conv_norm_act(const std::string& x, const std::string& path, ConvNormActImpl& m) {
        w_.visit(path);
        return conv_bn(x, path + ".0", *m.conv, path + ".1", m.bn.get(), m.options.act());
    }

    // ---- backbones -------------------------------------------------------------------------
    std::string backbone(const std::string& input) {
        w_.visit("backbone");
        BackboneImpl* b = net_->backbone_ptr().get();
        const std::string& arch = net_->config().arch;
        if (auto* small = dynamic_cast<SmallNetImpl*>(b); small && arch == "small") return small_net(input, *small);
        if (auto* r = dynamic_cast<ResNet50Impl*>(b); r && arch == "resnet50") return resnet50(input, *r);
        if (auto* e = dynamic_cast<EfficientNetImpl*>(b); e && arch == "efficientnet_b2") return efficientnet(input, *e);
        throw std::runtime_error("cannot export backbone (" + b->name() + ") for arch '" + arch +
                                 "': the module does not match the config");
    }

    std::string basic_block(const std::string& x, const std::string& path, BasicBlockImpl& m) {
        w_.visit(path);
        std::string y = conv_bn(x, path + ".conv1", *m.conv1, path + ".bn1", m.bn1.get(), Act::relu);
        y = conv_bn(y, path + ".conv2", *m.conv2, path + ".bn2", m.bn2.get(), Act::none);
        const std::string shortcut = m.downsample ? conv_norm_act(x, path + ".downsample", *m.downsample) : x;
        return w_.op("Relu", {w_.op("Add", {y, shortcut}, path)}, path);
    }

    std::string bottleneck(const std::string& x, const std::string& path, BottleneckImpl& m) {
        w_.visit(path);
        std::string y = conv_bn(x, path + ".conv1", *m.conv1, path + ".bn1", m.bn1.get(), Act::relu);
        y = conv_bn(y, path + ".conv2", *m.conv2, path + ".bn2", m.bn2.get(), Act::relu);
        y = conv_bn(y, path + ".conv3", *m.conv3, path + ".bn3", m.bn3.get(), Act::none);
        const std::string shortcut = m.downsample ? conv_norm_act(x, path + ".downsample", *m.downsample) : x;
        return w_.op("Relu", {w_.op("Add", {y, shortcut}, path)}, path);
    }

    std::string squeeze_excitation(const std::string& x, const std::string& path, SqueezeExcitationImpl& m) {
        w_.visit(path);
        std::string s = w_.op("GlobalAveragePool", {x}, path);
        s = conv_bn(s, path + ".fc1", *m.fc1, "", nullptr, Act::silu);
        s = conv_bn(s, path + ".fc2", *m.fc2, "", nullptr, Act::none);
        return w_.op("Mul", {x, w_.op("Sigmoid", {s}, path)}, path);
    }

    std::string mbconv(const std::string& x, const std::string& path, MBConvImpl& m) {
        w_.visit(path);
        w_.visit(path + ".block");
        int i = 0;
        std::string y = x;
        if (m.expand) y = conv_norm_act(y, path + ".block." + std::to_string(i++), *m.expand);
        y = conv_norm_act(y, path + ".block." + std::to_string(i++), *m.depthwise);
        y = squeeze_excitation(y, path + ".block." + std::to_string(i++), *m.se);
        y = conv_norm_act(y, path + ".block." + std::to_string(i++), *m.project);
        // Stochastic depth is the identity in eval mode.
        return m.use_residual ? w_.op("Add", {y, x}, path) : y;
    }

    std::string small_net(std::string x, SmallNetImpl& m) {
        x = conv_norm_act(x, "backbone.stem", *m.stem);
        x = basic_block(x, "backbone.layer1", *m.layer1);
        x = basic_block(x, "backbone.layer2", *m.layer2);
        x = basic_block(x, "backbone.layer3", *m.layer3);
        return basic_block(x, "backbone.layer4", *m.layer4);
    }

    std::string resnet50(std::string x, ResNet50Impl& m) {
        x = conv_bn(x, "backbone.conv1", *m.conv1, "backbone.bn1", m.bn1.get(), Act::relu);
        onnx::NodeProto* pool = w_.node("MaxPool", {x}, w_.value("backbone.maxpool"), "backbone.maxpool");
        add_ints(pool, "kernel_shape", {3, 3});
        add_ints(pool, "strides", {2, 2});
        add_ints(pool, "pads", {1, 1, 1, 1});
        x = pool->output(0);
        for (size_t k = 0; k < m.layers.size(); ++k) {
            const std::string layer = "backbone.layer" + std::to_string(k + 1);
            w_.visit(layer);
            for (size_t i = 0; i < m.layers[k].size(); ++i)
                x = bottleneck(x, layer + "." + std::to_string(i), *m.layers[k][i]);
        }
        return x;
    }

    std::string efficientnet(std::string x, EfficientNetImpl& m) {
        w_.visit("backbone.features");
        x = conv_norm_act(x, "backbone.features.0", *m.stem);
        for (size_t s = 0; s < m.stages.size(); ++s) {
            const std::string stage = "backbone.features." + std::to_string(s + 1);
            w_.visit(stage);
            for (size_t i = 0; i < m.stages[s].size(); ++i)
                x = mbconv(x, stage + "." + std::to_string(i), *m.stages[s][i]);
        }
        return conv_norm_act(x, "backbone.features." + std::to_string(m.stages.size() + 1), *m.head_conv);
    }

    // ---- heads -----------------------------------------------------------------------------
    // Linear (+ BatchNorm1d folded in): Gemm(x, W', b') with transB = 1.
    std::string gemm(const std::string& x, const std::string& path, tnn::LinearImpl& fc, const std::string& bn_path,
                     tnn::BatchNorm1dImpl* bn) {
        w_.visit(path);
        torch::Tensor weight = w_.take(path + ".weight", fc.weight).to(torch::kDouble);
        torch::Tensor bias = fc.bias.defined() ? w_.take(path + ".bias", fc.bias).to(torch::kDouble)
                                               : torch::Tensor();
        if (bn) {
            const BnFold f = take_bn(bn_path, *bn);
            weight = weight * f.scale.view({-1, 1});
            if (!bias.defined()) bias = torch::zeros({weight.size(0)}, torch::kDouble);
            bias = bias * f.scale + f.shift;
        }
        std::vector<std::string> inputs = {x, w_.weight(path + (bn ? ".weight_bn_folded" : ".weight"), weight)};
        if (bias.defined()) inputs.push_back(w_.initializer(path + (bn ? ".bias_bn_folded" : ".bias"), bias));
        onnx::NodeProto* n = w_.node("Gemm", inputs, w_.value(path), path);
        add_int(n, "transB", 1);
        return n->output(0);
    }

    std::string dense_block(const std::string& x, const std::string& path, DenseBlockImpl& m) {
        w_.visit(path);
        w_.visit(path + ".dropout");   // identity in eval mode
        std::string y = gemm(x, path + ".fc", *m.fc, path + ".bn", m.bn.get());
        y = w_.op("Relu", {y}, path);
        if (!m.residual) return y;
        const std::string shortcut = m.shortcut ? gemm(x, path + ".shortcut", *m.shortcut, "", nullptr) : x;
        return w_.op("Add", {y, shortcut}, path);
    }

    std::string head(const std::string& x) {
        w_.visit("head");
        HeadImpl* h = net_->head_ptr().get();
        const std::string& name = net_->config().head;
        if (auto* m = dynamic_cast<LinearHeadImpl*>(h); m && name == "linear") return gemm(x, "head.fc", *m->fc, "", nullptr);
        if (auto* m = dynamic_cast<MlpHeadImpl*>(h); m && name == "mlp") {
            w_.visit("head.dropout");
            std::string y = w_.op("Relu", {gemm(x, "head.fc1", *m->fc1, "", nullptr)}, "head");
            return gemm(y, "head.fc2", *m->fc2, "", nullptr);
        }
        if (auto* m = dynamic_cast<AdvancedHeadImpl*>(h); m && name == "advanced") {
            w_.visit("head.blocks");
            std::string y = x;
            for (size_t i = 0; i < m->blocks.size(); ++i)
                y = dense_block(y, "head.blocks." + std::to_string(i), *m->blocks[i]);
            return gemm(y, "head.fc", *m->fc, "", nullptr);
        }
        if (auto* m = dynamic_cast<EnhancedHeadImpl*>(h); m && name == "enhanced") {
            w_.visit("head.attention");
            std::string a = w_.op("Relu", {gemm(x, "head.attention.fc1", *m->attention->fc1, "", nullptr)}, "head.attention");
            a = w_.op("Sigmoid", {gemm(a, "head.attention.fc2", *m->attention->fc2, "", nullptr)}, "head.attention");
            std::string y = w_.op("Mul", {x, a}, "head.attention");
            w_.visit("head.blocks");
            for (size_t i = 0; i < m->blocks.size(); ++i)
                y = dense_block(y, "head.blocks." + std::to_string(i), *m->blocks[i]);
            return gemm(y, "head.fc", *m->fc, "", nullptr);
        }
        throw std::runtime_error("cannot export head (" + h->name() + ") for head '" + name +
                                 "': the module does not match the config");
    }

    GraphWriter w_;
    Classifier& net_;
};

void set_tensor_type(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto_DataType_FLOAT);
    auto* shape = t->mutable_shape();
    for (int64_t d : dims) {
        auto* dim = shape->add_dim();
        if (d < 0) dim->set_dim_param("N");
        else dim->set_dim_value(d);
    }
}

bool has_cam(Classifier& net) { return net->config().head == "linear"; }

void add_meta(onnx::ModelProto& model, const std::string& key, const std::string& value) {
    auto* p = model.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
}

}  // namespace

std::string build_onnx_bytes(Classifier& net, const PreprocessSpec& spec, WeightFormat weights, const GraphExtras& extras) {
    if (spec.channels != net->config().in_channels)
        throw std::runtime_error("spec has " + std::to_string(spec.channels) + " channels but the model takes " +
                                 std::to_string(net->config().in_channels));
    if (static_cast<int>(spec.class_names.size()) != net->config().num_classes)
        throw std::runtime_error("spec names " + std::to_string(spec.class_names.size()) +
                                 " classes but the model has " + std::to_string(net->config().num_classes) + " outputs");
    torch::NoGradGuard no_grad;
    onnx::ModelProto model;
    model.set_ir_version(kIrVersion);
    model.set_producer_name("alzscan");
    model.set_producer_version(ALZSCAN_VERSION);
    model.set_doc_string("alzscan " + net->config().arch + " + " + net->config().head +
                         " head; research/education demo, not a medical device");
    auto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOpset);

    onnx::GraphProto* graph = model.mutable_graph();
    graph->set_name("alzscan_" + net->config().arch + "_" + net->config().head);
    set_tensor_type(graph->add_input(), spec.input_name, {-1, spec.channels, spec.height, spec.width});

    Exporter exporter(graph, net, weights);
    const Exporter::Values v = exporter.run(spec.input_name);
    const int64_t classes = net->config().num_classes;
    const int64_t features = net->num_feature_channels();
    graph->mutable_node(graph->node_size() - 1)->set_output(0, "logits");
    std::string scaled = "logits";
    if (extras.temperature != 1.0) {
        if (!(extras.temperature > 0) || !std::isfinite(extras.temperature))
            throw std::runtime_error("calibration temperature " + std::to_string(extras.temperature) +
                                     " is not a positive number; hint: alzscan calibrate again");
        const std::string t = exporter.writer().initializer(
            "calibration.temperature", torch::tensor({static_cast<float>(extras.temperature)}));
        scaled = exporter.writer().op("Div", {"logits", t}, "calibration");
    }
    onnx::NodeProto* softmax = exporter.writer().node("Softmax", {scaled}, "probabilities", "probabilities");
    add_int(softmax, "axis", 1);
    exporter.writer().node("Identity", {v.pooled}, "features", "features");
    set_tensor_type(graph->add_output(), "logits", {-1, classes});
    set_tensor_type(graph->add_output(), "probabilities", {-1, classes});
    set_tensor_type(graph->add_output(), "features", {-1, features});
    if (extras.cam && has_cam(net)) {
        const std::string cam = exporter.cam(v.maps, classes, features);
        graph->mutable_node(graph->node_size() - 1)->set_output(0, "cam");
        // The maps' size for this input size, from the network itself.
        const bool training = net->is_training();
        net->eval();   // a forward in training mode would move BatchNorm's running statistics
        const torch::Tensor maps = net->feature_maps(torch::zeros({1, spec.channels, spec.height, spec.width}));
        net->train(training);
        set_tensor_type(graph->add_output(), "cam", {-1, classes, maps.size(2), maps.size(3)});
    }

    const nlohmann::json spec_json = nlohmann::json::parse(preprocess_spec_to_json(spec));
    add_meta(model, "format", kModelFormat);
    add_meta(model, "classes", spec_json["classes"].dump());
    add_meta(model, "input", spec_json["input"].dump());
    add_meta(model, "arch", net->config().arch);
    add_meta(model, "head", net->config().head);
    add_meta(model, "weights", weight_format_name(weights));

    try {
        onnx::checker::check_model(model);
        onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                           onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict=*/1));
    } catch (const std::exception& e) {
        std::string what = e.what();
        throw std::runtime_error("the ONNX graph failed onnx::checker / shape inference: " +
                                 what.substr(0, what.find('\n')));
    }
    std::string bytes;
    if (!model.SerializeToString(&bytes)) throw std::runtime_error("cannot serialize the ONNX model");
    return bytes;
}

std::string weight_format_name(WeightFormat weights) {
    return weights == WeightFormat::kInt8 ? "int8" : "float32";
}

WeightFormat parse_weight_format(const std::string& name) {
    if (name == "float32") return WeightFormat::kFloat32;
    if (name == "int8") return WeightFormat::kInt8;
    throw std::invalid_argument("--weights " + name + ": expected float32 or int8");
}

nlohmann::json make_model_json(const LoadedModel& m, const std::string& onnx_sha256, int64_t onnx_bytes,
                               WeightFormat weights, bool cam) {
    const nlohmann::json spec_json = nlohmann::json::parse(preprocess_spec_to_json(m.spec));
    nlohmann::json model = model_config_to_json(m.model_config);
    Classifier net = m.net;   // a shared handle; counting does not modify it
    model["parameters"] = count_parameters(*net);
    model["opset"] = kOpset;
    model["batchnorm_folded"] = true;
    model["weights"] = weight_format_name(weights);
    nlohmann::json j;
    j["format"] = kModelFormat;
    j["input"] = spec_json["input"];
    j["outputs"] = {{"logits", "logits"}, {"probabilities", "probabilities"}, {"features", "features"}};
    Classifier classifier = m.net;
    if (cam && has_cam(classifier)) j["outputs"]["cam"] = "cam";
    j["classes"] = spec_json["classes"];
    j["model"] = model;
    j["training"] = m.meta.is_object() && m.meta.contains("training") ? m.meta["training"] : nlohmann::json(nullptr);
    const bool has_meta = m.meta.is_object();
    j["calibration"] = has_meta && m.meta.contains("calibration") ? m.meta["calibration"] : nlohmann::json(nullptr);
    if (has_meta && m.meta.contains("ood")) j["ood"] = m.meta["ood"];
    if (has_meta && m.meta.contains("atrophy")) j["atrophy"] = m.meta["atrophy"];
    j["onnx_sha256"] = onnx_sha256;
    j["onnx_bytes"] = onnx_bytes;
    j["exported_by"] = std::string("alzscan ") + ALZSCAN_VERSION;
    return j;
}

GraphExtras graph_extras_from(const nlohmann::json& meta) {
    GraphExtras extras;
    if (meta.is_object() && meta.contains("calibration") && meta["calibration"].is_object())
        extras.temperature = meta["calibration"].value("temperature", 1.0);
    return extras;
}

nlohmann::json final_metrics_beside(const std::string& checkpoint_path) {
    const fs::path ckpt(checkpoint_path);
    if (ckpt.filename() != "best.pt") return nullptr;
    const nlohmann::json j = find_final_line(RunDir(ckpt.parent_path().string()));
    if (j.is_null() || j.value("checkpoint", "") != "best") return nullptr;
    return {{"epoch", j.value("epoch", nlohmann::json(nullptr))},
            {"val", j.value("val", nlohmann::json(nullptr))},
            {"test", j.value("test", nlohmann::json(nullptr))}};
}

ExportResult export_model(const LoadedModel& m, const std::string& out_dir, WeightFormat weights, bool cam) {
    Classifier net = m.net;
    net->eval();
    GraphExtras extras = graph_extras_from(m.meta);
    extras.cam = cam;
    const std::string bytes = build_onnx_bytes(net, m.spec, weights, extras);
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) throw std::runtime_error(out_dir + ": cannot create the output directory: " + ec.message());
    ExportResult r;
    r.onnx_path = (fs::path(out_dir) / "model.onnx").string();
    r.json_path = (fs::path(out_dir) / "model.json").string();
    r.onnx_sha256 = sha256_hex(bytes.data(), bytes.size());
    r.onnx_bytes = static_cast<int64_t>(bytes.size());
    r.model_json = make_model_json(m, r.onnx_sha256, r.onnx_bytes, weights, cam);
    write_file_atomically(r.onnx_path, bytes);
    // model.json vouches for model.onnx: check the file as a reader will get it, before writing it.
    std::string written;
    if (!read_text_file(r.onnx_path, written) || sha256_hex(written.data(), written.size()) != r.onnx_sha256)
        throw std::runtime_error(r.onnx_path + ": reads back different from what was written (" +
                                 std::to_string(written.size()) + " of " + std::to_string(bytes.size()) +
                                 " bytes); model.json not written; check the disk and export again");
    write_file_atomically(r.json_path, r.model_json.dump(2) + "\n");
    return r;
}

}  // namespace alzscan
