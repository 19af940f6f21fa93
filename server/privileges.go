package server

import (
	"fmt"
	"os"

	"github.com/drover/drover/internal/config"
)

// CheckPrivileges checks that the supervisor may start workers as --user and
// --group: only root may give a child another identity. The supervisor
// itself stays the user it was started as, so the workers — the only
// processes that run application code — cannot signal it, read its
// environment or trace it.
func CheckPrivileges(s config.Server) error {
	cred, err := s.Credential()
	if err != nil || cred == nil {
		return err
	}
	uid, gid := os.Geteuid(), os.Getegid()
	if uid == 0 || (int(cred.UID) == uid && int(cred.GID) == gid) {
		return nil
	}
	setting := "user"
	if s.User == "" {
		setting = "group"
	}
	return &config.Error{Setting: setting, Err: fmt.Errorf("running workers as %d:%d needs root; drover runs as %d:%d", cred.UID, cred.GID, uid, gid)}
}
