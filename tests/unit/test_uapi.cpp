// SPDX-License-Identifier: MIT
// The uapi header compiles as C++ and pins the layout of spec section 6 (uapi_c.c does the same
// in C); every size and every field offset is checked at compile time.
#include <catch2/catch.hpp>

#include <linux/uringblk.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

extern "C" {
std::size_t uringblk_uapi_c_sizeof(int which);
unsigned long uringblk_uapi_c_cmd_op(int opcode);
}

#define SIZE_IS(type, n) static_assert(sizeof(type) == (n), "sizeof(" #type ") != " #n)
#define OFF_IS(type, field, n)                                                                     \
  static_assert(offsetof(type, field) == (n), "offsetof(" #type ", " #field ") != " #n)
#define FSIZE_IS(type, field, n)                                                                   \
  static_assert(sizeof(std::declval<type>().field) == (n), "sizeof(" #type "." #field ") != " #n)

static_assert(std::is_standard_layout_v<uringblk_cmd> &&
              std::is_trivially_copyable_v<uringblk_cmd>);
static_assert(std::is_standard_layout_v<uringblk_identify>);
static_assert(std::is_standard_layout_v<uringblk_stats>);

SIZE_IS(uringblk_ucmd_hdr, 12);
OFF_IS(uringblk_ucmd_hdr, abi_major, 0);
OFF_IS(uringblk_ucmd_hdr, abi_minor, 2);
OFF_IS(uringblk_ucmd_hdr, opcode, 4);
OFF_IS(uringblk_ucmd_hdr, flags, 6);
OFF_IS(uringblk_ucmd_hdr, payload_len, 8);

SIZE_IS(uringblk_cmd, 48);
OFF_IS(uringblk_cmd, hdr, 0);
OFF_IS(uringblk_cmd, dev_id, 12);
OFF_IS(uringblk_cmd, addr, 16);
OFF_IS(uringblk_cmd, len, 24);
OFF_IS(uringblk_cmd, reserved0, 28);
OFF_IS(uringblk_cmd, reserved, 32);
FSIZE_IS(uringblk_cmd, reserved, 16);

SIZE_IS(uringblk_identify, 120);
OFF_IS(uringblk_identify, model, 0);
FSIZE_IS(uringblk_identify, model, 40);
OFF_IS(uringblk_identify, firmware, 40);
FSIZE_IS(uringblk_identify, firmware, 16);
OFF_IS(uringblk_identify, logical_block_size, 56);
OFF_IS(uringblk_identify, physical_block_size, 60);
OFF_IS(uringblk_identify, capacity_sectors, 64);
OFF_IS(uringblk_identify, features_bitmap, 72);
OFF_IS(uringblk_identify, queue_count, 80);
OFF_IS(uringblk_identify, queue_depth, 84);
OFF_IS(uringblk_identify, max_segments, 88);
OFF_IS(uringblk_identify, max_segment_size, 92);
OFF_IS(uringblk_identify, dma_alignment, 96);
OFF_IS(uringblk_identify, io_min, 100);
OFF_IS(uringblk_identify, io_opt, 104);
OFF_IS(uringblk_identify, discard_granularity, 108);
OFF_IS(uringblk_identify, discard_max_bytes, 112);

SIZE_IS(uringblk_limits, 48);
OFF_IS(uringblk_limits, max_hw_sectors_kb, 0);
OFF_IS(uringblk_limits, max_sectors_kb, 4);
OFF_IS(uringblk_limits, nr_hw_queues, 8);
OFF_IS(uringblk_limits, queue_depth, 12);
OFF_IS(uringblk_limits, max_segments, 16);
OFF_IS(uringblk_limits, max_segment_size, 20);
OFF_IS(uringblk_limits, dma_alignment, 24);
OFF_IS(uringblk_limits, io_min, 28);
OFF_IS(uringblk_limits, io_opt, 32);
OFF_IS(uringblk_limits, discard_granularity, 36);
OFF_IS(uringblk_limits, discard_max_bytes, 40);

SIZE_IS(uringblk_geometry, 20);
OFF_IS(uringblk_geometry, capacity_sectors, 0);
OFF_IS(uringblk_geometry, logical_block_size, 8);
OFF_IS(uringblk_geometry, physical_block_size, 12);
OFF_IS(uringblk_geometry, cylinders, 16);
OFF_IS(uringblk_geometry, heads, 18);
OFF_IS(uringblk_geometry, sectors_per_track, 19);

SIZE_IS(uringblk_stats, 104);
OFF_IS(uringblk_stats, read_ops, 0);
OFF_IS(uringblk_stats, write_ops, 8);
OFF_IS(uringblk_stats, flush_ops, 16);
OFF_IS(uringblk_stats, discard_ops, 24);
OFF_IS(uringblk_stats, read_sectors, 32);
OFF_IS(uringblk_stats, write_sectors, 40);
OFF_IS(uringblk_stats, read_bytes, 48);
OFF_IS(uringblk_stats, write_bytes, 56);
OFF_IS(uringblk_stats, queue_full_events, 64);
OFF_IS(uringblk_stats, media_errors, 72);
OFF_IS(uringblk_stats, retries, 80);
OFF_IS(uringblk_stats, p50_read_latency_us, 88);
OFF_IS(uringblk_stats, p99_read_latency_us, 92);
OFF_IS(uringblk_stats, p50_write_latency_us, 96);
OFF_IS(uringblk_stats, p99_write_latency_us, 100);

// 1.1 device management: dev_params 9 * 4 + 4 * 1 + 8 + 4 * 8 = 80
SIZE_IS(uringblk_dev_params, 80);
OFF_IS(uringblk_dev_params, dev_id, 0);
OFF_IS(uringblk_dev_params, state, 4);
OFF_IS(uringblk_dev_params, capacity_mb, 8);
OFF_IS(uringblk_dev_params, logical_block_size, 12);
OFF_IS(uringblk_dev_params, nr_hw_queues, 16);
OFF_IS(uringblk_dev_params, poll_queues, 20);
OFF_IS(uringblk_dev_params, queue_depth, 24);
OFF_IS(uringblk_dev_params, max_io_size_kb, 28);
OFF_IS(uringblk_dev_params, io_timeout_ms, 32);
OFF_IS(uringblk_dev_params, write_cache, 36);
OFF_IS(uringblk_dev_params, discard, 37);
OFF_IS(uringblk_dev_params, write_zeroes, 38);
OFF_IS(uringblk_dev_params, poll, 39);
OFF_IS(uringblk_dev_params, serial_suffix, 40);
FSIZE_IS(uringblk_dev_params, serial_suffix, 8);
OFF_IS(uringblk_dev_params, reserved, 48);
FSIZE_IS(uringblk_dev_params, reserved, 32);
SIZE_IS(uringblk_dev_list, 16);
OFF_IS(uringblk_dev_list, abi_major, 0);
OFF_IS(uringblk_dev_list, abi_minor, 2);
OFF_IS(uringblk_dev_list, nr_devices, 4);
OFF_IS(uringblk_dev_list, max_devices, 8);
OFF_IS(uringblk_dev_list, nr_ids, 12);
OFF_IS(uringblk_dev_list, ids, 16);
SIZE_IS(uringblk_set_params, 32);
SIZE_IS(uringblk_power_cut, 16);
OFF_IS(uringblk_power_cut, mode, 0);
OFF_IS(uringblk_power_cut, reserved0, 4);
OFF_IS(uringblk_power_cut, seed, 8);
SIZE_IS(uringblk_power_cut_result, 32);
OFF_IS(uringblk_power_cut_result, pending, 0);
OFF_IS(uringblk_power_cut_result, reverted, 8);
OFF_IS(uringblk_power_cut_result, torn, 16);
OFF_IS(uringblk_set_params, mask, 0);
OFF_IS(uringblk_set_params, write_cache, 4);
OFF_IS(uringblk_set_params, max_sectors_kb, 8);
OFF_IS(uringblk_set_params, reserved0, 12);
OFF_IS(uringblk_set_params, reserved, 16);
FSIZE_IS(uringblk_set_params, reserved, 16);

// cmd_op values = _IOWR(0xB5, nr, struct uringblk_cmd): dir 3 << 30 | 48 << 16 | 0xB5 << 8 | nr
static_assert(URINGBLK_IOC_IDENTIFY == 0xC030B501u);
static_assert(URINGBLK_IOC_GET_LIMITS == 0xC030B502u);
static_assert(URINGBLK_IOC_GET_FEATURES == 0xC030B503u);
static_assert(URINGBLK_IOC_GET_GEOMETRY == 0xC030B505u);
static_assert(URINGBLK_IOC_GET_STATS == 0xC030B506u);
static_assert(URINGBLK_UCMD_IDENTIFY == 0x01 && URINGBLK_UCMD_GET_LIMITS == 0x02 &&
              URINGBLK_UCMD_GET_FEATURES == 0x03 && URINGBLK_UCMD_GET_GEOMETRY == 0x05 &&
              URINGBLK_UCMD_GET_STATS == 0x06);
static_assert(URINGBLK_UCMD_ADD_DEVICE == 0x07 && URINGBLK_UCMD_DEL_DEVICE == 0x08 &&
              URINGBLK_UCMD_LIST_DEVICES == 0x09 && URINGBLK_UCMD_GET_PARAMS == 0x0a &&
              URINGBLK_UCMD_SET_PARAMS == 0x0b);
static_assert(URINGBLK_IOC_ADD_DEVICE == 0xC030B507u);
static_assert(URINGBLK_IOC_SET_PARAMS == 0xC030B50Bu);
static_assert(URINGBLK_DEV_ID_SELF == 0xffffffffu && URINGBLK_DEV_ID_ANY == 0xffffffffu);
static_assert(URINGBLK_DEL_FORCE == 1u && URINGBLK_DEV_S_RUNTIME == 1u);
static_assert(URINGBLK_SERIAL_SUFFIX_LEN == 8);
static_assert(URINGBLK_ABI_MAJOR == 1 && URINGBLK_ABI_MINOR == 1);
static_assert(URINGBLK_FEAT_WRITE_CACHE == 1 && URINGBLK_FEAT_FUA == 2 &&
              URINGBLK_FEAT_FLUSH == 4 && URINGBLK_FEAT_DISCARD == 8 &&
              URINGBLK_FEAT_WRITE_ZEROES == 16 && URINGBLK_FEAT_ZONED == 32 &&
              URINGBLK_FEAT_POLLING == 64);

TEST_CASE("uapi: C and C++ agree on the struct sizes", "[uapi]") {
  CHECK(uringblk_uapi_c_sizeof(0) == sizeof(uringblk_ucmd_hdr));
  CHECK(uringblk_uapi_c_sizeof(1) == sizeof(uringblk_cmd));
  CHECK(uringblk_uapi_c_sizeof(2) == sizeof(uringblk_identify));
  CHECK(uringblk_uapi_c_sizeof(3) == sizeof(uringblk_limits));
  CHECK(uringblk_uapi_c_sizeof(4) == sizeof(uringblk_geometry));
  CHECK(uringblk_uapi_c_sizeof(5) == sizeof(uringblk_stats));
  CHECK(uringblk_uapi_c_sizeof(6) == sizeof(uringblk_dev_params));
  CHECK(uringblk_uapi_c_sizeof(7) == sizeof(uringblk_dev_list));
  CHECK(uringblk_uapi_c_sizeof(8) == sizeof(uringblk_set_params));
  CHECK(uringblk_uapi_c_sizeof(6) == 80);
  CHECK(uringblk_uapi_c_sizeof(7) == 16);
  CHECK(uringblk_uapi_c_sizeof(8) == 32);
}

TEST_CASE("uapi: cmd_op values are _IOWR(0xB5, opcode, 48 bytes)", "[uapi]") {
  for (int op : {URINGBLK_UCMD_IDENTIFY, URINGBLK_UCMD_GET_LIMITS, URINGBLK_UCMD_GET_FEATURES,
                 URINGBLK_UCMD_GET_GEOMETRY, URINGBLK_UCMD_GET_STATS, URINGBLK_UCMD_ADD_DEVICE,
                 URINGBLK_UCMD_DEL_DEVICE, URINGBLK_UCMD_LIST_DEVICES, URINGBLK_UCMD_GET_PARAMS,
                 URINGBLK_UCMD_SET_PARAMS}) {
    const unsigned long expect = (3ul << 30) | (48ul << 16) | (0xB5ul << 8) | unsigned(op);
    CHECK(uringblk_uapi_c_cmd_op(op) == expect);
    CHECK(_IOC_TYPE(expect) == 0xB5);
    CHECK(_IOC_NR(expect) == unsigned(op));
    CHECK(_IOC_SIZE(expect) == sizeof(uringblk_cmd));
    CHECK(_IOC_DIR(expect) == (_IOC_READ | _IOC_WRITE));
  }
  CHECK(uringblk_uapi_c_cmd_op(0x04) == 0); // reserved opcode
}
