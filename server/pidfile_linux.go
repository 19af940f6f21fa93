package server

import (
	"bytes"
	"os"
	"strconv"
)

// sameProgram reports whether the live process pid runs this program: the
// same name in /proc (comm, the executable's base name, readable for
// every user's processes). known is false when either name is unreadable.
func sameProgram(pid int) (same, known bool) {
	theirs, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return false, false
	}
	ours, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		return false, false
	}
	return bytes.Equal(theirs, ours), true
}
