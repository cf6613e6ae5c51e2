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
OFF_IS(uringblk_power_cut, flags, 4); // 1.2: was reserved0
FSIZE_IS(uringblk_power_cut, flags, 4);
OFF_IS(uringblk_power_cut, seed, 8);
SIZE_IS(uringblk_power_cut_result, 32);
OFF_IS(uringblk_power_cut_result, pending, 0);
OFF_IS(uringblk_power_cut_result, reverted, 8);
OFF_IS(uringblk_power_cut_result, torn, 16);
OFF_IS(uringblk_power_cut_result, changes, 24); // 1.2: was reserved
// 1.2: POWER_LOG answer (16-byte header + 32-byte entries), POWER_MARK and POWER_ARM payloads
SIZE_IS(uringblk_power_log_entry, 32);
OFF_IS(uringblk_power_log_entry, seq, 0);
OFF_IS(uringblk_power_log_entry, sector, 8);
OFF_IS(uringblk_power_log_entry, nr_sectors, 16);
FSIZE_IS(uringblk_power_log_entry, nr_sectors, 4);
OFF_IS(uringblk_power_log_entry, op, 20);
FSIZE_IS(uringblk_power_log_entry, op, 1);
OFF_IS(uringblk_power_log_entry, flags, 21);
FSIZE_IS(uringblk_power_log_entry, flags, 1);
OFF_IS(uringblk_power_log_entry, reserved, 22);
FSIZE_IS(uringblk_power_log_entry, reserved, 2);
OFF_IS(uringblk_power_log_entry, mark, 24);
SIZE_IS(uringblk_power_log, 16);
OFF_IS(uringblk_power_log, nr_changes, 0);
FSIZE_IS(uringblk_power_log, nr_changes, 8);
OFF_IS(uringblk_power_log, nr_entries, 8);
FSIZE_IS(uringblk_power_log, nr_entries, 4);
OFF_IS(uringblk_power_log, reserved, 12);
OFF_IS(uringblk_power_log, entries, 16);
SIZE_IS(uringblk_power_mark, 8);
OFF_IS(uringblk_power_mark, tag, 0);
SIZE_IS(uringblk_power_arm, 48);
OFF_IS(uringblk_power_arm, trigger, 0);
OFF_IS(uringblk_power_arm, mode, 4);
OFF_IS(uringblk_power_arm, flags, 8);
OFF_IS(uringblk_power_arm, reserved0, 12);
OFF_IS(uringblk_power_arm, seed, 16);
OFF_IS(uringblk_power_arm, count, 24);
OFF_IS(uringblk_power_arm, sector, 32);
OFF_IS(uringblk_power_arm, nr_sectors, 40);
FSIZE_IS(uringblk_power_arm, nr_sectors, 8);
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
static_assert(URINGBLK_UCMD_POWER_CUT == 0x0c && URINGBLK_UCMD_POWER_ON == 0x0d);
static_assert(URINGBLK_UCMD_POWER_LOG == 0x0e && URINGBLK_UCMD_POWER_MARK == 0x0f &&
              URINGBLK_UCMD_POWER_ARM == 0x10);
static_assert(URINGBLK_IOC_ADD_DEVICE == 0xC030B507u);
static_assert(URINGBLK_IOC_SET_PARAMS == 0xC030B50Bu);
static_assert(URINGBLK_IOC_POWER_CUT == 0xC030B50Cu);
static_assert(URINGBLK_IOC_POWER_ON == 0xC030B50Du);
static_assert(URINGBLK_IOC_POWER_LOG == 0xC030B50Eu);
static_assert(URINGBLK_IOC_POWER_MARK == 0xC030B50Fu);
static_assert(URINGBLK_IOC_POWER_ARM == 0xC030B510u);
static_assert(URINGBLK_PL_ALL == 0 && URINGBLK_PL_RANDOM == 1 && URINGBLK_PL_TORN == 2 &&
              URINGBLK_PL_PREFIX == 3 && URINGBLK_PL_DROP == 4 && URINGBLK_PL_MAX_DROP == 64);
static_assert(URINGBLK_PL_CUT_RESUME == 1u && URINGBLK_PL_CUT_TEAR_PHYSICAL == 2u);
static_assert(URINGBLK_PL_OP_WRITE == 1 && URINGBLK_PL_OP_DISCARD == 2 &&
              URINGBLK_PL_OP_WRITE_ZEROES == 3);
static_assert(URINGBLK_PL_LOG_FUA == 1u && URINGBLK_PL_LOG_MARK == 2u);
static_assert(URINGBLK_PL_ARM_NONE == 0 && URINGBLK_PL_ARM_CHANGE == 1 &&
              URINGBLK_PL_ARM_FLUSH == 2 && URINGBLK_PL_ARM_LBA == 3 && URINGBLK_PL_ARM_MARK == 4);
static_assert(URINGBLK_DEV_ID_SELF == 0xffffffffu && URINGBLK_DEV_ID_ANY == 0xffffffffu);
static_assert(URINGBLK_DEL_FORCE == 1u && URINGBLK_DEV_S_RUNTIME == 1u);
static_assert(URINGBLK_SERIAL_SUFFIX_LEN == 8);
static_assert(URINGBLK_ABI_MAJOR == 1 && URINGBLK_ABI_MINOR == 2);
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
  CHECK(uringblk_uapi_c_sizeof(9) == sizeof(uringblk_power_cut));
  CHECK(uringblk_uapi_c_sizeof(10) == sizeof(uringblk_power_cut_result));
  CHECK(uringblk_uapi_c_sizeof(6) == 80);
  CHECK(uringblk_uapi_c_sizeof(7) == 16);
  CHECK(uringblk_uapi_c_sizeof(8) == 32);
  CHECK(uringblk_uapi_c_sizeof(9) == 16);
  CHECK(uringblk_uapi_c_sizeof(10) == 32);
  // 1.2
  CHECK(uringblk_uapi_c_sizeof(11) == sizeof(uringblk_power_log_entry));
  CHECK(uringblk_uapi_c_sizeof(12) == sizeof(uringblk_power_log));
  CHECK(uringblk_uapi_c_sizeof(13) == sizeof(uringblk_power_mark));
  CHECK(uringblk_uapi_c_sizeof(14) == sizeof(uringblk_power_arm));
  CHECK(uringblk_uapi_c_sizeof(11) == 32);
  CHECK(uringblk_uapi_c_sizeof(12) == 16);
  CHECK(uringblk_uapi_c_sizeof(13) == 8);
  CHECK(uringblk_uapi_c_sizeof(14) == 48);
}

TEST_CASE("uapi: cmd_op values are _IOWR(0xB5, opcode, 48 bytes)", "[uapi]") {
  for (int op : {URINGBLK_UCMD_IDENTIFY, URINGBLK_UCMD_GET_LIMITS, URINGBLK_UCMD_GET_FEATURES,
                 URINGBLK_UCMD_GET_GEOMETRY, URINGBLK_UCMD_GET_STATS, URINGBLK_UCMD_ADD_DEVICE,
                 URINGBLK_UCMD_DEL_DEVICE, URINGBLK_UCMD_LIST_DEVICES, URINGBLK_UCMD_GET_PARAMS,
                 URINGBLK_UCMD_SET_PARAMS, URINGBLK_UCMD_POWER_CUT, URINGBLK_UCMD_POWER_ON,
                 URINGBLK_UCMD_POWER_LOG, URINGBLK_UCMD_POWER_MARK, URINGBLK_UCMD_POWER_ARM}) {
    const unsigned long expect = (3ul << 30) | (48ul << 16) | (0xB5ul << 8) | unsigned(op);
    CHECK(uringblk_uapi_c_cmd_op(op) == expect);
    CHECK(_IOC_TYPE(expect) == 0xB5);
    CHECK(_IOC_NR(expect) == unsigned(op));
    CHECK(_IOC_SIZE(expect) == sizeof(uringblk_cmd));
    CHECK(_IOC_DIR(expect) == (_IOC_READ | _IOC_WRITE));
  }
  CHECK(uringblk_uapi_c_cmd_op(0x04) == 0); // reserved opcode
  CHECK(uringblk_uapi_c_cmd_op(0x11) == 0); // the first number after 1.2's
}
