//go:build unix

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// reserveStdout keeps the real stdout for the ready line and points file
// descriptor 1 at stderr, so that nothing else (server libraries, the UI
// server, the Go runtime) can write to stdout.
func reserveStdout() *os.File {
	fd, err := unix.Dup(int(os.Stdout.Fd()))
	if err != nil {
		return os.Stdout
	}
	unix.CloseOnExec(fd)
	if err := unix.Dup2(int(os.Stderr.Fd()), int(os.Stdout.Fd())); err != nil {
		_ = unix.Close(fd)
		return os.Stdout
	}
	return os.NewFile(uintptr(fd), "/dev/stdout")
}
