//go:build !linux

package main

import "os"

// datasync syncs f; only Linux has fdatasync.
func datasync(f *os.File) error { return f.Sync() }
