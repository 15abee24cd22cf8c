// SPDX-License-Identifier: Apache-2.0
/// \file Evaluating a predicate on a stack's facts, recording what it read.
#include "expect/syntax.h"

namespace cuconform::expect::detail {
namespace {

class Evaluator {
public:
    Evaluator(const Facts& facts, std::vector<std::pair<std::string, std::string>>* reads,
              std::vector<std::string>* notes)
        : facts_(facts), reads_(reads), notes_(notes) {}

    Value eval(const Node& n) {
        switch (n.kind) {
            case Node::Kind::Literal:
                return n.value;
            case Node::Kind::Fact:
                return fact(n.name);
            case Node::Kind::Call:
                return call(n);
            case Node::Kind::Not:
                return !eval(*n.kids[0]).truthy();
            case Node::Kind::And:
                return std::all_of(n.kids.begin(), n.kids.end(), [&](const auto& k) { return eval(*k).truthy(); });
            case Node::Kind::Or:
                return std::any_of(n.kids.begin(), n.kids.end(), [&](const auto& k) { return eval(*k).truthy(); });
            case Node::Kind::Compare:
                return compare(n);
        }
        return Value();
    }

private:
    Value fact(const std::string& path) {
        std::optional<Value> v = facts_.get(path);
        if (!v) {
            // `x.major` works on a version fact `x` without the Facts object knowing the component path.
            if (auto split = split_component(path)) {
                if (auto whole = facts_.get(split->first)) {
                    std::optional<cuconform::Version> version;
                    if (whole->is_version()) version = whole->as_version();
                    if (whole->is_number()) version = number_as_version(whole->as_number());
                    if (version)
                        v = Value(version->component(split->second));
                    else
                        v = Value();
                }
            }
        }
        read(path, v ? v->str() : std::string("null (not in the facts)"));
        return v.value_or(Value());
    }

    Value call(const Node& n) {
        std::vector<Value> args;
        args.reserve(n.kids.size());
        for (const auto& k : n.kids) args.push_back(eval(*k));
        std::optional<Value> result = facts_.call(n.name, args);
        std::string label = n.name + "(";
        for (std::size_t i = 0; i < args.size(); ++i) label += (i ? ", " : "") + args[i].str();
        label += ")";
        if (!result) note(fmt::format("function {} is not provided by these facts and evaluated as null", n.name));
        read(label, result ? result->str() : std::string("null (not provided)"));
        return result.value_or(Value());
    }

    Value compare(const Node& n) {
        const Value l = eval(*n.kids[0]);
        const Value r = eval(*n.kids[1]);
        // null equals only null; every other comparison with null is false (so `x != null` means "x is present").
        if (l.is_null() || r.is_null()) {
            const bool both = l.is_null() && r.is_null();
            if (n.op == CmpOp::Eq) return both;
            if (n.op == CmpOp::Ne) return !both;
            return false;
        }
        std::optional<std::partial_ordering> order;
        if (l.type() == r.type()) {
            switch (l.type()) {
                case Value::Type::Bool:
                    if (n.op == CmpOp::Eq || n.op == CmpOp::Ne) order = l.as_bool() <=> r.as_bool();
                    break;
                case Value::Type::Number:
                    order = l.as_number() <=> r.as_number();
                    break;
                case Value::Type::String:
                    order = l.as_string() <=> r.as_string();
                    break;
                case Value::Type::Version:
                    order = l.as_version() <=> r.as_version();
                    break;
                case Value::Type::Null:
                    break;
            }
        } else if (l.is_version() && r.is_number()) {
            if (auto rv = as_version(*n.kids[1], r)) order = l.as_version() <=> *rv;
        } else if (l.is_number() && r.is_version()) {
            if (auto lv = as_version(*n.kids[0], l)) order = *lv <=> r.as_version();
        }
        if (!order) {
            note(fmt::format("'{}' compares {} {} with {} {}, which {}; it is {}", n.text, Value::type_name(l.type()),
                             l.str(), Value::type_name(r.type()), r.str(),
                             n.op == CmpOp::Eq || n.op == CmpOp::Ne ? "are never equal" : "have no order",
                             n.op == CmpOp::Ne ? "true" : "false"));
            return n.op == CmpOp::Ne;
        }
        switch (n.op) {
            case CmpOp::Eq:
                return *order == 0;
            case CmpOp::Ne:
                return *order != 0;
            case CmpOp::Lt:
                return *order < 0;
            case CmpOp::Le:
                return *order <= 0;
            case CmpOp::Gt:
                return *order > 0;
            case CmpOp::Ge:
                return *order >= 0;
        }
        return false;
    }

    /// A number compared with a version: a literal as spelled (5.10 is 5.10), a computed number by its digits.
    static std::optional<cuconform::Version> as_version(const Node& n, const Value& v) {
        if (n.kind == Node::Kind::Literal && n.spelled) return n.spelled;
        return number_as_version(v.as_number());
    }

    void read(const std::string& what, std::string value) {
        if (!reads_) return;
        for (const auto& [k, _] : *reads_) {
            if (k == what) return;
        }
        reads_->emplace_back(what, std::move(value));
    }

    void note(std::string text) {
        if (notes_ && std::find(notes_->begin(), notes_->end(), text) == notes_->end())
            notes_->push_back(std::move(text));
    }

    const Facts& facts_;
    std::vector<std::pair<std::string, std::string>>* reads_;
    std::vector<std::string>* notes_;
};

}  // namespace

bool evaluate(const Node& node, const Facts& facts, std::vector<std::pair<std::string, std::string>>* reads,
              std::vector<std::string>* notes) {
    return Evaluator(facts, reads, notes).eval(node).truthy();
}

void collect_paths(const Node& n, std::vector<std::string>& out) {
    if (n.kind == Node::Kind::Fact && std::find(out.begin(), out.end(), n.name) == out.end()) out.push_back(n.name);
    for (const auto& k : n.kids) collect_paths(*k, out);
}

}  // namespace cuconform::expect::detail
