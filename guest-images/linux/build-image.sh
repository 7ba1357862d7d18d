#!/usr/bin/env bash
# Builds the Linux guest (vmlinux + initramfs) into $1. Filled in by the Linux image work.
set -euo pipefail
mkdir -p "$1"
