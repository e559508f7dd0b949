package main

import (
	"os"
	"syscall"
)

// datasync syncs f's data without its timestamps, as storage engines do.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
