// chunk_deflate.cpp: see chunk_deflate.h.
#include "results/chunk_deflate.h"

#include <zlib.h>
#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace v2g {
namespace {

std::string dataset_name(hid_t d) {
    char name[256] = "?";
    H5Iget_name(d, name, sizeof name);
    return name;
}

// The chunking and deflate level of a dataset the threaded path can write, or level < 0.
struct Plan {
    int level = -1;
    size_t element_bytes = 0;
    hsize_t rows = 0, chunk_rows = 0;
    int rank = 0;
    size_t chunk_bytes = 0;
};

Plan plan_for(hid_t dataset, hid_t mem_type) {
    Plan plan;
    const hid_t type = H5Dget_type(dataset), dcpl = H5Dget_create_plist(dataset), space = H5Dget_space(dataset);
    if (type >= 0 && dcpl >= 0 && space >= 0 && H5Tequal(type, mem_type) > 0 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
        H5Pget_nfilters(dcpl) == 2) {
        unsigned flags = 0, cd[4] = {};
        size_t nd = 4;
        char fname[32];
        const H5Z_filter_t first = H5Pget_filter2(dcpl, 0, &flags, &nd, cd, sizeof fname, fname, nullptr);
        nd = 4;
        const H5Z_filter_t second = H5Pget_filter2(dcpl, 1, &flags, &nd, cd, sizeof fname, fname, nullptr);
        const int rank = H5Sget_simple_extent_ndims(space);
        if (first == H5Z_FILTER_SHUFFLE && second == H5Z_FILTER_DEFLATE && nd >= 1 && rank >= 1 &&
            rank <= H5S_MAX_RANK) {
            hsize_t dims[H5S_MAX_RANK], chunk[H5S_MAX_RANK];
            H5Sget_simple_extent_dims(space, dims, nullptr);
            H5Pget_chunk(dcpl, rank, chunk);
            bool whole_rows = true;
            size_t row_elements = 1;
            for (int a = 1; a < rank; ++a) {
                whole_rows = whole_rows && chunk[a] == dims[a];
                row_elements *= dims[a];
            }
            if (whole_rows && chunk[0] > 0) {
                plan.level = static_cast<int>(cd[0]);
                plan.element_bytes = H5Tget_size(type);
                plan.rows = dims[0];
                plan.chunk_rows = chunk[0];
                plan.rank = rank;
                plan.chunk_bytes = static_cast<size_t>(chunk[0]) * row_elements * plan.element_bytes;
            }
        }
    }
    if (space >= 0) H5Sclose(space);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (type >= 0) H5Tclose(type);
    return plan;
}

}  // namespace

void shuffle_bytes(const unsigned char* in, unsigned char* out, size_t elements, size_t element_bytes) {
    // Element by element: the input read once in order, each byte plane written in order.
    for (size_t i = 0; i < elements; ++i)
        for (size_t j = 0; j < element_bytes; ++j) out[j * elements + i] = in[i * element_bytes + j];
}

bool write_deflated(hid_t dataset, hid_t mem_type, const void* data, int threads) {
    const Plan plan = plan_for(dataset, mem_type);
    if (plan.level < 0) {
        if (H5Dwrite(dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
            throw std::runtime_error("HDF5 error: writing " + dataset_name(dataset));
        return false;
    }
    const size_t chunks = static_cast<size_t>((plan.rows + plan.chunk_rows - 1) / plan.chunk_rows);
    const size_t row_bytes = plan.chunk_bytes / static_cast<size_t>(plan.chunk_rows);
    const size_t total_bytes = static_cast<size_t>(plan.rows) * row_bytes;
    const int lanes = static_cast<int>(std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(std::max(1, threads)), chunks)));
    // A window of chunks at a time, filtered in parallel and then written in order: memory stays
    // at a few chunks per lane whatever the dataset's size.
    const size_t window = static_cast<size_t>(lanes) * 4;
    std::vector<std::vector<unsigned char>> filtered(std::min(window, chunks));
    std::vector<std::vector<unsigned char>> scratch(static_cast<size_t>(lanes));
    const unsigned char* bytes = static_cast<const unsigned char*>(data);
    std::atomic<bool> failed{false};
    for (size_t first = 0; first < chunks; first += window) {
        const size_t count = std::min(window, chunks - first);
        std::atomic<size_t> next{0};
        auto lane = [&](int l) {
            std::vector<unsigned char>& padded = scratch[static_cast<size_t>(l)];
            padded.resize(2 * plan.chunk_bytes);
            unsigned char* whole = padded.data();                     // the chunk, zero past the end
            unsigned char* shuffled = padded.data() + plan.chunk_bytes;
            for (size_t k = next++; k < count && !failed; k = next++) {
                const size_t at = (first + k) * plan.chunk_bytes;
                const size_t have = std::min(plan.chunk_bytes, total_bytes - at);
                const unsigned char* chunk = bytes + at;
                if (have < plan.chunk_bytes) {  // the last chunk, past the dataset's end
                    std::memcpy(whole, chunk, have);
                    std::memset(whole + have, 0, plan.chunk_bytes - have);  // HDF5's fill value
                    chunk = whole;
                }
                shuffle_bytes(chunk, shuffled, plan.chunk_bytes / plan.element_bytes, plan.element_bytes);
                std::vector<unsigned char>& out = filtered[k];
                uLongf out_bytes = compressBound(static_cast<uLong>(plan.chunk_bytes));
                out.resize(out_bytes);
                if (compress2(out.data(), &out_bytes, shuffled, static_cast<uLong>(plan.chunk_bytes), plan.level) != Z_OK)
                    failed = true;
                out.resize(out_bytes);
            }
        };
        if (lanes == 1) {
            lane(0);
        } else {
            std::vector<std::thread> team;
            for (int l = 1; l < lanes; ++l) team.emplace_back(lane, l);
            lane(0);
            for (std::thread& t : team) t.join();
        }
        if (failed) throw std::runtime_error("zlib error: compressing " + dataset_name(dataset));
        for (size_t k = 0; k < count; ++k) {
            hsize_t offset[H5S_MAX_RANK] = {};
            offset[0] = static_cast<hsize_t>(first + k) * plan.chunk_rows;
            constexpr uint32_t kAllFiltersApplied = 0;
            if (H5Dwrite_chunk(dataset, H5P_DEFAULT, kAllFiltersApplied, offset, filtered[k].size(), filtered[k].data()) < 0)
                throw std::runtime_error("HDF5 error: writing a chunk of " + dataset_name(dataset));
        }
    }
    return true;
}

}  // namespace v2g
