//go:build !linux

package auth

import "time"

// threadCPU is not read outside Linux: costs are measured in wall time.
func threadCPU() (time.Duration, bool) { return 0, false }
