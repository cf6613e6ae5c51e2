// SPDX-License-Identifier: MIT
// Umbrella header of liburingblk-uapi.
#pragma once

#include <linux/uringblk.h>

#include <uringblk/control.hpp>
#include <uringblk/device.hpp>
#include <uringblk/inject.hpp>
#include <uringblk/params.hpp>
#include <uringblk/result.hpp>
#include <uringblk/sysfs.hpp>
#include <uringblk/types.hpp>
#include <uringblk/uring_cmd.hpp>
