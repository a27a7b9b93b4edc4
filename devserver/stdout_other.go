//go:build !unix

package main

import "os"

// reserveStdout returns stdout unchanged on platforms without dup2.
func reserveStdout() *os.File { return os.Stdout }
