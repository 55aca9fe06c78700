// chunk_deflate.h: writing a whole fixed-size dataset through HDF5's shuffle + deflate filters
// with its chunks filtered on several threads. HDF5 1.10 runs a dataset's filter pipeline on
// the calling thread, one chunk after another; at the end of a run nothing else needs the
// cores, and the final Q-tables at 10^5 vehicles (480 MB, ~115 chunks of 4 MiB) took ~3 s of
// zlib on one. Here each chunk is shuffled and deflated exactly as HDF5's own filters do it
// (H5Zshuffle.c's byte transposition, zlib's compress2 at the dataset's level), and the
// chunks are stored in order with H5Dwrite_chunk: the same bytes in the file, read back by any
// HDF5 reader through the usual pipeline.
#pragma once
#include <hdf5.h>

namespace v2g {

// Writes all of `dataset` from `data` (laid out as mem_type in C order). Takes the threaded
// path when the dataset is chunked along its first axis only (every other axis whole in a
// chunk), its filters are exactly shuffle then deflate, and mem_type is its file type;
// otherwise writes with H5Dwrite. Returns whether the threaded path was taken. threads >= 1;
// throws std::runtime_error naming the dataset when HDF5 or zlib fails.
bool write_deflated(hid_t dataset, hid_t mem_type, const void* data, int threads);

// HDF5's shuffle filter on one chunk: byte j of element i goes to j * elements + i.
void shuffle_bytes(const unsigned char* in, unsigned char* out, size_t elements, size_t element_bytes);

}  // namespace v2g
