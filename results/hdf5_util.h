// hdf5_util.h: the small HDF5 C API helpers every HDF5 file of v2g uses (results, sweeps):
// an owning identifier, error checks that throw, fixed-length strings, scalar attributes.
#pragma once
#include <hdf5.h>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

namespace v2g {
namespace hdf5 {

inline void fail(const std::string& what) { throw std::runtime_error("HDF5: " + what); }
inline hid_t ok(hid_t id, const char* what) {
    if (id < 0) fail(what);
    return id;
}
inline void ok(herr_t e, const char* what) {
    if (e < 0) fail(what);
}

// An owned HDF5 identifier.
class Id {
public:
    Id() = default;
    explicit Id(hid_t id) : id_(id) {}
    Id(const Id&) = delete;
    Id& operator=(const Id&) = delete;
    Id(Id&& o) noexcept : id_(o.id_) { o.id_ = -1; }
    Id& operator=(Id&& o) noexcept {
        reset();
        id_ = o.id_;
        o.id_ = -1;
        return *this;
    }
    ~Id() { reset(); }
    hid_t get() const { return id_; }
    operator hid_t() const { return id_; }
    void reset() {
        if (id_ >= 0) {
            const H5I_type_t type = H5Iget_type(id_);
            if (type == H5I_FILE) H5Fclose(id_);
            else if (type == H5I_GROUP) H5Gclose(id_);
            else if (type == H5I_DATASET) H5Dclose(id_);
            else if (type == H5I_DATATYPE) H5Tclose(id_);
            else if (type == H5I_DATASPACE) H5Sclose(id_);
            else if (type == H5I_ATTR) H5Aclose(id_);
            else if (type == H5I_GENPROP_LST) H5Pclose(id_);
        }
        id_ = -1;
    }

private:
    hid_t id_ = -1;
};

inline void quiet_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

inline Id string_type(size_t bytes) {
    Id t(ok(H5Tcopy(H5T_C_S1), "string type"));
    ok(H5Tset_size(t, std::max<size_t>(bytes, 1)), "string size");
    ok(H5Tset_strpad(t, H5T_STR_NULLTERM), "string pad");
    return t;
}

inline void attr_string(hid_t loc, const char* name, const std::string& value) {
    Id t = string_type(value.size() + 1);
    Id space(ok(H5Screate(H5S_SCALAR), "scalar space"));
    Id a(ok(H5Acreate2(loc, name, t, space, H5P_DEFAULT, H5P_DEFAULT), name));
    ok(H5Awrite(a, t, value.c_str()), name);
}

template <typename T>
inline void attr_number(hid_t loc, const char* name, hid_t type, T value) {
    Id space(ok(H5Screate(H5S_SCALAR), "scalar space"));
    Id a(ok(H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT), name));
    ok(H5Awrite(a, type, &value), name);
}

inline std::string read_attr_string(hid_t loc, const char* name) {
    if (H5Aexists(loc, name) <= 0) return "";
    Id a(ok(H5Aopen(loc, name, H5P_DEFAULT), name));
    Id t(ok(H5Aget_type(a), name));
    if (H5Tget_class(t) != H5T_STRING) fail(std::string(name) + " is not a string");
    if (H5Tis_variable_str(t) > 0) {  // as h5py writes them
        Id mem(ok(H5Tcopy(H5T_C_S1), name));
        ok(H5Tset_size(mem, H5T_VARIABLE), name);
        ok(H5Tset_cset(mem, H5Tget_cset(t)), name);  // h5py writes UTF-8
        char* value = nullptr;
        ok(H5Aread(a, mem, &value), name);
        std::string s = value ? value : "";
        H5free_memory(value);
        return s;
    }
    const size_t n = H5Tget_size(t);
    std::string s(n, '\0');
    Id mem = string_type(n);
    ok(H5Aread(a, mem, s.data()), name);
    s.resize(std::strlen(s.c_str()));
    return s;
}

inline int64_t read_attr_int(hid_t loc, const char* name) {
    if (H5Aexists(loc, name) <= 0) return 0;
    Id a(ok(H5Aopen(loc, name, H5P_DEFAULT), name));
    int64_t v = 0;
    ok(H5Aread(a, H5T_NATIVE_INT64, &v), name);
    return v;
}

// A scalar fixed-length string dataset (written before SWMR starts; the status one is
// overwritten in place later, which SWMR allows).
inline void write_string_dataset(hid_t loc, const char* name, const std::string& value, size_t bytes) {
    Id t = string_type(bytes);
    Id space(ok(H5Screate(H5S_SCALAR), "scalar space"));
    Id d(ok(H5Dcreate2(loc, name, t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), name));
    std::string padded = value;
    padded.resize(bytes, '\0');
    ok(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, padded.data()), name);
    attr_string(d, "units", "text");
}

inline std::string read_string_dataset(hid_t loc, const char* name) {
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return "";
    Id d(ok(H5Dopen2(loc, name, H5P_DEFAULT), name));
    Id t(ok(H5Dget_type(d), name));
    const size_t n = H5Tget_size(t);
    std::string s(n, '\0');
    Id mem = string_type(n);
    ok(H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, s.data()), name);
    s.resize(std::strlen(s.c_str()));
    return s;
}

inline bool has_hdf5_signature(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char sig[8] = {};
    return in.read(sig, 8) && std::memcmp(sig, "\x89HDF\r\n\x1a\n", 8) == 0;
}

}  // namespace hdf5
}  // namespace v2g
