// toml_limits.cpp: the size and shape limits a TOML text must meet before toml++ sees it.
// toml++ recurses per dotted-key part and per nested array or inline table, so a header with
// hundreds of thousands of parts overflows the stack, and a megabyte-long unknown key makes the
// "did you mean" search take minutes. This scan is linear and stops at the first excess. It
// knows just enough TOML to find keys: strings (four kinds), comments, arrays, inline tables.
#include <cctype>
#include <string>
#include <vector>
#include "common/errors.h"
#include "config/toml_parse.h"

namespace v2g {
namespace {

class Scanner {
public:
    Scanner(const std::string& text, const std::string& path) : t_(text), path_(path) {}

    void run() {
        while (i_ < t_.size()) {
            skip_blank_and_comments();
            if (i_ >= t_.size()) break;
            if (t_[i_] == '[') {
                header();
            } else {
                key("key");
                expect('=');
                value();
            }
            skip_to_line_end();
        }
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw InputError(path_ + ":" + std::to_string(line_) + ": " + what);
    }
    char at() const { return i_ < t_.size() ? t_[i_] : '\0'; }
    void advance() {
        if (t_[i_] == '\n') ++line_;
        ++i_;
    }
    void skip_spaces() {
        while (at() == ' ' || at() == '\t') advance();
    }
    void skip_blank_and_comments() {
        for (;;) {
            while (std::isspace(static_cast<unsigned char>(at()))) advance();
            if (at() != '#') return;
            while (i_ < t_.size() && at() != '\n') advance();
        }
    }
    void skip_to_line_end() {
        skip_spaces();
        if (at() == '#')
            while (i_ < t_.size() && at() != '\n') advance();
        // Anything else left on the line is toml++'s to report.
        while (i_ < t_.size() && at() != '\n') advance();
    }
    void expect(char c) {
        skip_spaces();
        if (at() == c) advance();
    }

    // A string starting at i_ (one of ' " ''' """); leaves i_ after it.
    void string() {
        const char quote = at();
        const bool multi = t_.compare(i_, 3, std::string(3, quote)) == 0;
        i_ += multi ? 3 : 1;
        while (i_ < t_.size()) {
            if (quote == '"' && at() == '\\') {
                advance();
                if (i_ < t_.size()) advance();
                continue;
            }
            if (multi ? t_.compare(i_, 3, std::string(3, quote)) == 0 : at() == quote) {
                i_ += multi ? 3 : 1;
                while (multi && at() == quote) advance();  // up to two quotes may end the content
                return;
            }
            if (!multi && at() == '\n') return;  // unterminated: toml++ reports it
            advance();
        }
    }

    // A (dotted) key: counts its parts and characters.
    void key(const char* what) {
        const size_t begin = i_;
        size_t parts = 1;
        for (;;) {
            skip_spaces();
            if (at() == '"' || at() == '\'') {
                string();
            } else {
                while (std::isalnum(static_cast<unsigned char>(at())) || at() == '_' || at() == '-') advance();
            }
            skip_spaces();
            if (i_ - begin > kMaxTomlKeyChars)
                fail(std::string("a ") + what + " longer than " + std::to_string(kMaxTomlKeyChars) + " characters");
            if (at() != '.') return;
            advance();
            if (++parts > kMaxTomlKeyParts)
                fail(std::string("a ") + what + " of more than " + std::to_string(kMaxTomlKeyParts) + " dotted parts");
        }
    }

    void header() {
        advance();
        if (at() == '[') advance();
        key("table name");
        if (at() == ']') advance();
        if (at() == ']') advance();
    }

    // A value: nested arrays and inline tables are counted, keys in inline tables checked.
    // Ends at the end of its line once every bracket it opened is closed.
    void value() {
        std::vector<char> open;  // '[' or '{'
        for (;;) {
            if (open.empty()) skip_spaces();
            else skip_blank_and_comments();
            const char c = at();
            if (c == '\0' || (open.empty() && (c == '\n' || c == '#'))) return;
            if (c == '"' || c == '\'') {
                string();
            } else if (c == '[' || c == '{') {
                advance();
                open.push_back(c);
                if (open.size() > kMaxTomlNesting)
                    fail("arrays or inline tables nested more than " + std::to_string(kMaxTomlNesting) + " deep");
                if (c == '{') inline_key();
            } else if (c == ']' || c == '}') {
                advance();
                if (!open.empty()) open.pop_back();
            } else if (c == ',') {
                advance();
                if (!open.empty() && open.back() == '{') inline_key();
            } else {
                advance();
            }
        }
    }
    void inline_key() {
        while (std::isspace(static_cast<unsigned char>(at()))) advance();
        if (at() == '}') return;
        key("key");
        expect('=');
    }

    const std::string& t_;
    const std::string& path_;
    size_t i_ = 0;
    int line_ = 1;
};

}  // namespace

void check_toml_limits(const std::string& text, const std::string& path) {
    if (text.size() > kMaxTomlBytes)
        throw InputError(path + ": " + std::to_string(text.size()) + " bytes; a TOML file may have at most " +
                         std::to_string(kMaxTomlBytes));
    Scanner(text, path).run();
}

}  // namespace v2g
