/* SPDX-License-Identifier: MIT */
/*
 * The uapi header compiles as C11 and pins the layout of spec section 6 (the same checks as
 * test_uapi.cpp does in C++). The functions let the C++ tests compare both compilers' view.
 */
#include <stddef.h>
#include <stdint.h>

#include <linux/uringblk.h>

#define SIZE_IS(type, n) _Static_assert(sizeof(type) == (n), "sizeof(" #type ") != " #n)
#define OFF_IS(type, field, n)                                                                     \
  _Static_assert(offsetof(type, field) == (n), "offsetof(" #type ", " #field ") != " #n)
#define FSIZE_IS(type, field, n)                                                                   \
  _Static_assert(sizeof(((type *)0)->field) == (n), "sizeof(" #type "." #field ") != " #n)

/* 6.1.1 command header */
SIZE_IS(struct uringblk_ucmd_hdr, 12);
OFF_IS(struct uringblk_ucmd_hdr, abi_major, 0);
OFF_IS(struct uringblk_ucmd_hdr, abi_minor, 2);
OFF_IS(struct uringblk_ucmd_hdr, opcode, 4);
OFF_IS(struct uringblk_ucmd_hdr, flags, 6);
OFF_IS(struct uringblk_ucmd_hdr, payload_len, 8);

/* the 48-byte command area (SQE128 cmd[0..47], ioctl argument) */
SIZE_IS(struct uringblk_cmd, 48);
OFF_IS(struct uringblk_cmd, hdr, 0);
OFF_IS(struct uringblk_cmd, dev_id, 12);
OFF_IS(struct uringblk_cmd, addr, 16);
OFF_IS(struct uringblk_cmd, len, 24);
OFF_IS(struct uringblk_cmd, reserved0, 28);
OFF_IS(struct uringblk_cmd, reserved, 32);
FSIZE_IS(struct uringblk_cmd, reserved, 16);

/* 6.2.1 IDENTIFY: 40 + 16 + 4 + 4 + 8 + 8 + 8 * 4 + 8 = 120 */
SIZE_IS(struct uringblk_identify, 120);
OFF_IS(struct uringblk_identify, model, 0);
FSIZE_IS(struct uringblk_identify, model, 40);
OFF_IS(struct uringblk_identify, firmware, 40);
FSIZE_IS(struct uringblk_identify, firmware, 16);
OFF_IS(struct uringblk_identify, logical_block_size, 56);
OFF_IS(struct uringblk_identify, physical_block_size, 60);
OFF_IS(struct uringblk_identify, capacity_sectors, 64);
OFF_IS(struct uringblk_identify, features_bitmap, 72);
OFF_IS(struct uringblk_identify, queue_count, 80);
OFF_IS(struct uringblk_identify, queue_depth, 84);
OFF_IS(struct uringblk_identify, max_segments, 88);
OFF_IS(struct uringblk_identify, max_segment_size, 92);
OFF_IS(struct uringblk_identify, dma_alignment, 96);
OFF_IS(struct uringblk_identify, io_min, 100);
OFF_IS(struct uringblk_identify, io_opt, 104);
OFF_IS(struct uringblk_identify, discard_granularity, 108);
OFF_IS(struct uringblk_identify, discard_max_bytes, 112);

/* 6.2.2 GET_LIMITS: 10 * 4 + 8 = 48 */
SIZE_IS(struct uringblk_limits, 48);
OFF_IS(struct uringblk_limits, max_hw_sectors_kb, 0);
OFF_IS(struct uringblk_limits, max_sectors_kb, 4);
OFF_IS(struct uringblk_limits, nr_hw_queues, 8);
OFF_IS(struct uringblk_limits, queue_depth, 12);
OFF_IS(struct uringblk_limits, max_segments, 16);
OFF_IS(struct uringblk_limits, max_segment_size, 20);
OFF_IS(struct uringblk_limits, dma_alignment, 24);
OFF_IS(struct uringblk_limits, io_min, 28);
OFF_IS(struct uringblk_limits, io_opt, 32);
OFF_IS(struct uringblk_limits, discard_granularity, 36);
OFF_IS(struct uringblk_limits, discard_max_bytes, 40);

/* 6.2.4 GET_GEOMETRY: 8 + 4 + 4 + 2 + 1 + 1 = 20 */
SIZE_IS(struct uringblk_geometry, 20);
OFF_IS(struct uringblk_geometry, capacity_sectors, 0);
OFF_IS(struct uringblk_geometry, logical_block_size, 8);
OFF_IS(struct uringblk_geometry, physical_block_size, 12);
OFF_IS(struct uringblk_geometry, cylinders, 16);
OFF_IS(struct uringblk_geometry, heads, 18);
OFF_IS(struct uringblk_geometry, sectors_per_track, 19);

/* 6.2.5 GET_STATS: 11 * 8 + 4 * 4 = 104 */
SIZE_IS(struct uringblk_stats, 104);
OFF_IS(struct uringblk_stats, read_ops, 0);
OFF_IS(struct uringblk_stats, write_ops, 8);
OFF_IS(struct uringblk_stats, flush_ops, 16);
OFF_IS(struct uringblk_stats, discard_ops, 24);
OFF_IS(struct uringblk_stats, read_sectors, 32);
OFF_IS(struct uringblk_stats, write_sectors, 40);
OFF_IS(struct uringblk_stats, read_bytes, 48);
OFF_IS(struct uringblk_stats, write_bytes, 56);
OFF_IS(struct uringblk_stats, queue_full_events, 64);
OFF_IS(struct uringblk_stats, media_errors, 72);
OFF_IS(struct uringblk_stats, retries, 80);
OFF_IS(struct uringblk_stats, p50_read_latency_us, 88);
OFF_IS(struct uringblk_stats, p99_read_latency_us, 92);
OFF_IS(struct uringblk_stats, p50_write_latency_us, 96);
OFF_IS(struct uringblk_stats, p99_write_latency_us, 100);

/* 1.1 device management: dev_params 9 * 4 + 4 * 1 + 8 + 4 * 8 = 80 */
SIZE_IS(struct uringblk_dev_params, 80);
OFF_IS(struct uringblk_dev_params, dev_id, 0);
OFF_IS(struct uringblk_dev_params, state, 4);
OFF_IS(struct uringblk_dev_params, capacity_mb, 8);
OFF_IS(struct uringblk_dev_params, logical_block_size, 12);
OFF_IS(struct uringblk_dev_params, nr_hw_queues, 16);
OFF_IS(struct uringblk_dev_params, poll_queues, 20);
OFF_IS(struct uringblk_dev_params, queue_depth, 24);
OFF_IS(struct uringblk_dev_params, max_io_size_kb, 28);
OFF_IS(struct uringblk_dev_params, io_timeout_ms, 32);
OFF_IS(struct uringblk_dev_params, write_cache, 36);
OFF_IS(struct uringblk_dev_params, discard, 37);
OFF_IS(struct uringblk_dev_params, write_zeroes, 38);
OFF_IS(struct uringblk_dev_params, poll, 39);
OFF_IS(struct uringblk_dev_params, serial_suffix, 40);
FSIZE_IS(struct uringblk_dev_params, serial_suffix, 8);
OFF_IS(struct uringblk_dev_params, reserved, 48);
FSIZE_IS(struct uringblk_dev_params, reserved, 32);
SIZE_IS(struct uringblk_dev_list, 16);
OFF_IS(struct uringblk_dev_list, abi_major, 0);
OFF_IS(struct uringblk_dev_list, abi_minor, 2);
OFF_IS(struct uringblk_dev_list, nr_devices, 4);
OFF_IS(struct uringblk_dev_list, max_devices, 8);
OFF_IS(struct uringblk_dev_list, nr_ids, 12);
OFF_IS(struct uringblk_dev_list, ids, 16);
SIZE_IS(struct uringblk_set_params, 32);
OFF_IS(struct uringblk_set_params, mask, 0);
OFF_IS(struct uringblk_set_params, write_cache, 4);
OFF_IS(struct uringblk_set_params, max_sectors_kb, 8);
OFF_IS(struct uringblk_set_params, reserved0, 12);
OFF_IS(struct uringblk_set_params, reserved, 16);
FSIZE_IS(struct uringblk_set_params, reserved, 16);
/* POWER_CUT payload and answer; 1.2: flags (URINGBLK_PL_CUT_*) where 1.1 had reserved0 */
SIZE_IS(struct uringblk_power_cut, 16);
OFF_IS(struct uringblk_power_cut, mode, 0);
OFF_IS(struct uringblk_power_cut, flags, 4);
FSIZE_IS(struct uringblk_power_cut, flags, 4);
OFF_IS(struct uringblk_power_cut, seed, 8);
SIZE_IS(struct uringblk_power_cut_result, 32);
OFF_IS(struct uringblk_power_cut_result, pending, 0);
OFF_IS(struct uringblk_power_cut_result, reverted, 8);
OFF_IS(struct uringblk_power_cut_result, torn, 16);
OFF_IS(struct uringblk_power_cut_result, changes, 24);
/* 1.2: POWER_LOG answer (16-byte header + 32-byte entries), POWER_MARK and POWER_ARM payloads */
SIZE_IS(struct uringblk_power_log_entry, 32);
OFF_IS(struct uringblk_power_log_entry, seq, 0);
OFF_IS(struct uringblk_power_log_entry, sector, 8);
OFF_IS(struct uringblk_power_log_entry, nr_sectors, 16);
FSIZE_IS(struct uringblk_power_log_entry, nr_sectors, 4);
OFF_IS(struct uringblk_power_log_entry, op, 20);
FSIZE_IS(struct uringblk_power_log_entry, op, 1);
OFF_IS(struct uringblk_power_log_entry, flags, 21);
FSIZE_IS(struct uringblk_power_log_entry, flags, 1);
OFF_IS(struct uringblk_power_log_entry, reserved, 22);
FSIZE_IS(struct uringblk_power_log_entry, reserved, 2);
OFF_IS(struct uringblk_power_log_entry, mark, 24);
SIZE_IS(struct uringblk_power_log, 16);
OFF_IS(struct uringblk_power_log, nr_changes, 0);
FSIZE_IS(struct uringblk_power_log, nr_changes, 8);
OFF_IS(struct uringblk_power_log, nr_entries, 8);
FSIZE_IS(struct uringblk_power_log, nr_entries, 4);
OFF_IS(struct uringblk_power_log, reserved, 12);
OFF_IS(struct uringblk_power_log, entries, 16);
SIZE_IS(struct uringblk_power_mark, 8);
OFF_IS(struct uringblk_power_mark, tag, 0);
SIZE_IS(struct uringblk_power_arm, 48);
OFF_IS(struct uringblk_power_arm, trigger, 0);
OFF_IS(struct uringblk_power_arm, mode, 4);
OFF_IS(struct uringblk_power_arm, flags, 8);
OFF_IS(struct uringblk_power_arm, reserved0, 12);
OFF_IS(struct uringblk_power_arm, seed, 16);
OFF_IS(struct uringblk_power_arm, count, 24);
OFF_IS(struct uringblk_power_arm, sector, 32);
OFF_IS(struct uringblk_power_arm, nr_sectors, 40);
FSIZE_IS(struct uringblk_power_arm, nr_sectors, 8);

/* cmd_op / ioctl numbers: _IOWR(0xB5, nr, 48 bytes) = 0xC030B5nn */
_Static_assert(URINGBLK_IOC_IDENTIFY == 0xC030B501u, "IDENTIFY cmd_op");
_Static_assert(URINGBLK_IOC_GET_LIMITS == 0xC030B502u, "GET_LIMITS cmd_op");
_Static_assert(URINGBLK_IOC_GET_FEATURES == 0xC030B503u, "GET_FEATURES cmd_op");
_Static_assert(URINGBLK_IOC_GET_GEOMETRY == 0xC030B505u, "GET_GEOMETRY cmd_op");
_Static_assert(URINGBLK_IOC_GET_STATS == 0xC030B506u, "GET_STATS cmd_op");
_Static_assert(URINGBLK_IOC_ADD_DEVICE == 0xC030B507u, "ADD_DEVICE cmd_op");
_Static_assert(URINGBLK_IOC_DEL_DEVICE == 0xC030B508u, "DEL_DEVICE cmd_op");
_Static_assert(URINGBLK_IOC_LIST_DEVICES == 0xC030B509u, "LIST_DEVICES cmd_op");
_Static_assert(URINGBLK_IOC_GET_PARAMS == 0xC030B50Au, "GET_PARAMS cmd_op");
_Static_assert(URINGBLK_IOC_SET_PARAMS == 0xC030B50Bu, "SET_PARAMS cmd_op");
_Static_assert(URINGBLK_IOC_POWER_CUT == 0xC030B50Cu, "POWER_CUT cmd_op");
_Static_assert(URINGBLK_IOC_POWER_ON == 0xC030B50Du, "POWER_ON cmd_op");
_Static_assert(URINGBLK_IOC_POWER_LOG == 0xC030B50Eu, "POWER_LOG cmd_op");
_Static_assert(URINGBLK_IOC_POWER_MARK == 0xC030B50Fu, "POWER_MARK cmd_op");
_Static_assert(URINGBLK_IOC_POWER_ARM == 0xC030B510u, "POWER_ARM cmd_op");
_Static_assert(URINGBLK_PL_ALL == 0 && URINGBLK_PL_RANDOM == 1 && URINGBLK_PL_TORN == 2 &&
	       URINGBLK_PL_PREFIX == 3 && URINGBLK_PL_DROP == 4 && URINGBLK_PL_MAX_DROP == 64,
	       "POWER_CUT modes");
_Static_assert(URINGBLK_PL_CUT_RESUME == 1u && URINGBLK_PL_CUT_TEAR_PHYSICAL == 2u,
	       "POWER_CUT flags");
_Static_assert(URINGBLK_PL_OP_WRITE == 1 && URINGBLK_PL_OP_DISCARD == 2 &&
	       URINGBLK_PL_OP_WRITE_ZEROES == 3, "POWER_LOG ops");
_Static_assert(URINGBLK_PL_LOG_FUA == 1u && URINGBLK_PL_LOG_MARK == 2u, "POWER_LOG flags");
_Static_assert(URINGBLK_PL_ARM_NONE == 0 && URINGBLK_PL_ARM_CHANGE == 1 &&
	       URINGBLK_PL_ARM_FLUSH == 2 && URINGBLK_PL_ARM_LBA == 3 &&
	       URINGBLK_PL_ARM_MARK == 4, "POWER_ARM triggers");
_Static_assert(URINGBLK_DEV_ID_SELF == 0xffffffffu, "DEV_ID_SELF");
_Static_assert(URINGBLK_DEV_ID_ANY == 0xffffffffu, "DEV_ID_ANY");
_Static_assert(URINGBLK_DEL_FORCE == 1u, "DEL_FORCE");
_Static_assert(URINGBLK_DEV_DEFAULT == 0 && URINGBLK_DEV_ON == 1 && URINGBLK_DEV_OFF == 2,
	       "switches");
_Static_assert(URINGBLK_SET_WRITE_CACHE == 1u && URINGBLK_SET_MAX_SECTORS_KB == 2u &&
	       URINGBLK_SET_INJECT_RESET == 4u, "SET_PARAMS mask");
_Static_assert(URINGBLK_ABI_MAJOR == 1 && URINGBLK_ABI_MINOR == 2, "ABI 1.2");

/* Sizes as seen by the C compiler, for the C++ test to compare. */
size_t uringblk_uapi_c_sizeof(int which);
unsigned long uringblk_uapi_c_cmd_op(int opcode);

size_t uringblk_uapi_c_sizeof(int which) {
  switch (which) {
  case 0:
    return sizeof(struct uringblk_ucmd_hdr);
  case 1:
    return sizeof(struct uringblk_cmd);
  case 2:
    return sizeof(struct uringblk_identify);
  case 3:
    return sizeof(struct uringblk_limits);
  case 4:
    return sizeof(struct uringblk_geometry);
  case 5:
    return sizeof(struct uringblk_stats);
  case 6:
    return sizeof(struct uringblk_dev_params);
  case 7:
    return sizeof(struct uringblk_dev_list);
  case 8:
    return sizeof(struct uringblk_set_params);
  case 9:
    return sizeof(struct uringblk_power_cut);
  case 10:
    return sizeof(struct uringblk_power_cut_result);
  case 11:
    return sizeof(struct uringblk_power_log_entry);
  case 12:
    return sizeof(struct uringblk_power_log);
  case 13:
    return sizeof(struct uringblk_power_mark);
  case 14:
    return sizeof(struct uringblk_power_arm);
  default:
    return 0;
  }
}

unsigned long uringblk_uapi_c_cmd_op(int opcode) {
  switch (opcode) {
  case URINGBLK_UCMD_IDENTIFY:
    return URINGBLK_IOC_IDENTIFY;
  case URINGBLK_UCMD_GET_LIMITS:
    return URINGBLK_IOC_GET_LIMITS;
  case URINGBLK_UCMD_GET_FEATURES:
    return URINGBLK_IOC_GET_FEATURES;
  case URINGBLK_UCMD_GET_GEOMETRY:
    return URINGBLK_IOC_GET_GEOMETRY;
  case URINGBLK_UCMD_GET_STATS:
    return URINGBLK_IOC_GET_STATS;
  case URINGBLK_UCMD_ADD_DEVICE:
    return URINGBLK_IOC_ADD_DEVICE;
  case URINGBLK_UCMD_DEL_DEVICE:
    return URINGBLK_IOC_DEL_DEVICE;
  case URINGBLK_UCMD_LIST_DEVICES:
    return URINGBLK_IOC_LIST_DEVICES;
  case URINGBLK_UCMD_GET_PARAMS:
    return URINGBLK_IOC_GET_PARAMS;
  case URINGBLK_UCMD_SET_PARAMS:
    return URINGBLK_IOC_SET_PARAMS;
  case URINGBLK_UCMD_POWER_CUT:
    return URINGBLK_IOC_POWER_CUT;
  case URINGBLK_UCMD_POWER_ON:
    return URINGBLK_IOC_POWER_ON;
  case URINGBLK_UCMD_POWER_LOG:
    return URINGBLK_IOC_POWER_LOG;
  case URINGBLK_UCMD_POWER_MARK:
    return URINGBLK_IOC_POWER_MARK;
  case URINGBLK_UCMD_POWER_ARM:
    return URINGBLK_IOC_POWER_ARM;
  default:
    return 0;
  }
}
