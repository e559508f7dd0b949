//go:build !linux || !cgo

package main

// execWithMallocHugePages does nothing: the engine's memory comes from
// glibc's malloc only on Linux builds with cgo.
func execWithMallocHugePages() {}
