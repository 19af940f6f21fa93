package server

import "golang.org/x/sys/unix"

func fcntlFlags(fd uintptr) (int, error) { return unix.FcntlInt(fd, unix.F_GETFL, 0) }
