// The final Q-tables' threaded deflate (results/chunk_deflate.h) stores what HDF5's own filter
// pipeline stores: the same values read back and the same bytes in every chunk, the last one
// past the dataset's end included; datasets it cannot take go through H5Dwrite.
#include <gtest/gtest.h>
#include <unistd.h>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>
#include "results/chunk_deflate.h"
#include "results/hdf5_util.h"
#include "results/schema.h"

namespace v2g {
namespace {

using hdf5::Id;
using hdf5::quiet_hdf5;
using results_schema::create_fixed;

std::string temp_path(const std::string& name) {
    return ::testing::TempDir() + "v2g_" + std::to_string(getpid()) + "_" + name;
}

// Q-table-like values: mostly the initial value, some learned ones (compressible, not trivial).
std::vector<float> table_values(size_t n) {
    std::vector<float> q(n, -3.0f);
    for (size_t i = 0; i < n; i += 7) q[i] = -3.0f + std::sin(static_cast<float>(i)) * 0.5f;
    return q;
}

std::vector<unsigned char> chunk_bytes(hid_t d, hsize_t row) {
    hsize_t offset[3] = {row, 0, 0}, bytes = 0;
    EXPECT_GE(H5Dget_chunk_storage_size(d, offset, &bytes), 0);
    std::vector<unsigned char> out(static_cast<size_t>(bytes));
    uint32_t filters = 1;
    EXPECT_GE(H5Dread_chunk(d, H5P_DEFAULT, offset, &filters, out.data()), 0);
    EXPECT_EQ(filters, 0u) << "every filter applied";
    return out;
}

TEST(ChunkDeflate, ShuffleIsHdf5sByteTransposition) {
    const unsigned char in[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    unsigned char out[8] = {};
    shuffle_bytes(in, out, 2, 4);
    const unsigned char want[8] = {1, 5, 2, 6, 3, 7, 4, 8};
    for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], want[i]) << i;
}

TEST(ChunkDeflate, StoresTheBytesHdf5sPipelineStores) {
    quiet_hdf5();
    // 2,500 tables of 240 x 5: 4 MiB chunks of 873 tables, the third one partly past the end.
    const hsize_t tables = 2500, states = 240, actions = 5;
    const std::vector<float> q = table_values(tables * states * actions);
    const std::string path = temp_path("chunk_deflate.h5");
    {
        Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
        ASSERT_GE(file.get(), 0);
        Id by_hdf5 = create_fixed(file, "by_hdf5", H5T_NATIVE_FLOAT, {tables, states, actions}, "currency", true);
        Id threaded = create_fixed(file, "threaded", H5T_NATIVE_FLOAT, {tables, states, actions}, "currency", true);
        ASSERT_GE(H5Dwrite(by_hdf5, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, q.data()), 0);
        EXPECT_TRUE(write_deflated(threaded, H5T_NATIVE_FLOAT, q.data(), 3));
    }
    Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    ASSERT_GE(file.get(), 0);
    Id by_hdf5(H5Dopen2(file, "by_hdf5", H5P_DEFAULT)), threaded(H5Dopen2(file, "threaded", H5P_DEFAULT));
    std::vector<float> back(q.size());
    ASSERT_GE(H5Dread(threaded, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, back.data()), 0);
    EXPECT_EQ(back, q);
    hsize_t chunk[3] = {};
    Id dcpl(H5Dget_create_plist(threaded));
    ASSERT_EQ(H5Pget_chunk(dcpl, 3, chunk), 3);
    ASSERT_LT(chunk[0], tables);
    ASSERT_NE(tables % chunk[0], 0u) << "the test needs a last chunk past the end";
    int chunks = 0;
    for (hsize_t row = 0; row < tables; row += chunk[0], ++chunks) {
        const std::vector<unsigned char> want = chunk_bytes(by_hdf5, row), got = chunk_bytes(threaded, row);
        EXPECT_LT(want.size(), chunk[0] * states * actions * sizeof(float)) << "compressed";
        EXPECT_EQ(got, want) << "chunk at row " << row;
    }
    EXPECT_EQ(chunks, 3);
    std::remove(path.c_str());
}

TEST(ChunkDeflate, OtherDatasetsGoThroughH5Dwrite) {
    quiet_hdf5();
    const std::string path = temp_path("chunk_plain.h5");
    const std::vector<float> q = table_values(64 * 24 * 5);
    {
        Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
        Id contiguous = create_fixed(file, "contiguous", H5T_NATIVE_FLOAT, {64, 24, 5}, "currency", false);
        Id chunked = create_fixed(file, "chunked", H5T_NATIVE_FLOAT, {64, 24, 5}, "currency", true);
        EXPECT_FALSE(write_deflated(contiguous, H5T_NATIVE_FLOAT, q.data(), 2)) << "not chunked";
        const std::vector<double> wide(q.begin(), q.end());
        EXPECT_FALSE(write_deflated(chunked, H5T_NATIVE_DOUBLE, wide.data(), 2)) << "converted on the way";
    }
    Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    for (const char* name : {"contiguous", "chunked"}) {
        Id d(H5Dopen2(file, name, H5P_DEFAULT));
        std::vector<float> back(q.size());
        ASSERT_GE(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, back.data()), 0);
        EXPECT_EQ(back, q) << name;
    }
    std::remove(path.c_str());
}

}  // namespace
}  // namespace v2g
