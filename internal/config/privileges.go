package config

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"

	"github.com/drover/drover/internal/sockets"
)

// Credential is who drover's workers run as: a user, its group and the
// supplementary groups of the user (as initgroups(3) gives them).
type Credential struct {
	// Name is the user as configured, for logs.
	Name string
	// UID and GID are the numeric user and primary group.
	UID, GID uint32
	// Groups are the supplementary group IDs.
	Groups []uint32
}

// Credential resolves --user and --group, or returns nil when neither is
// set. A numeric user without an entry in the user database is accepted
// (its group must then be given or is the same number), as chown(1) does.
func (s Server) Credential() (*Credential, error) {
	if s.User == "" && s.Group == "" {
		return nil, nil
	}
	cred := &Credential{Name: s.User}
	if s.User != "" {
		u, err := lookupUser(s.User)
		if err != nil {
			return nil, &Error{Setting: "user", Err: err}
		}
		cred.UID, cred.GID, cred.Groups = u.uid, u.gid, u.groups
	} else {
		// --group alone: keep the current user, change the group.
		cred.UID, cred.GID = currentIDs()
		cred.Name = strconv.Itoa(int(cred.UID))
	}
	if s.Group != "" {
		gid, err := lookupGroup(s.Group)
		if err != nil {
			return nil, &Error{Setting: "group", Err: err}
		}
		cred.GID = gid
	}
	return cred, nil
}

// SocketOwnerIDs resolves --socket-owner ("USER[:GROUP]", ":GROUP" or
// ""), returning -1 for the parts not given.
func (s Server) SocketOwnerIDs() (sockets.Owner, error) {
	o := sockets.Owner{UID: -1, GID: -1}
	if s.SocketOwner == "" {
		return o, nil
	}
	name, group, hasGroup := strings.Cut(s.SocketOwner, ":")
	if name != "" {
		u, err := lookupUser(name)
		if err != nil {
			return o, &Error{Setting: "socket-owner", Err: err}
		}
		o.UID = int(u.uid)
	}
	if hasGroup {
		if group == "" {
			return o, &Error{Setting: "socket-owner", Err: fmt.Errorf("%q has an empty group after ':'", s.SocketOwner)}
		}
		gid, err := lookupGroup(group)
		if err != nil {
			return o, &Error{Setting: "socket-owner", Err: err}
		}
		o.GID = int(gid)
	}
	return o, nil
}

type userIDs struct {
	uid, gid uint32
	groups   []uint32
}

// lookupUser finds a user by name or numeric ID.
func lookupUser(name string) (userIDs, error) {
	u, err := user.Lookup(name)
	if err != nil {
		var unknown user.UnknownUserError
		if !errors.As(err, &unknown) {
			return userIDs{}, fmt.Errorf("look up user %q: %w", name, err)
		}
		id, numErr := parseID(name)
		if numErr != nil {
			return userIDs{}, fmt.Errorf("no user %q", name)
		}
		if u, err = user.LookupId(name); err != nil {
			// A bare number is a user ID even without a passwd entry.
			return userIDs{uid: id, gid: id}, nil
		}
	}
	uid, err := parseID(u.Uid)
	if err != nil {
		return userIDs{}, fmt.Errorf("user %q: %w", name, err)
	}
	gid, err := parseID(u.Gid)
	if err != nil {
		return userIDs{}, fmt.Errorf("user %q: %w", name, err)
	}
	ids := userIDs{uid: uid, gid: gid}
	if groups, err := u.GroupIds(); err == nil {
		for _, g := range groups {
			if n, err := parseID(g); err == nil {
				ids.groups = append(ids.groups, n)
			}
		}
	}
	return ids, nil
}

// lookupGroup finds a group by name or numeric ID.
func lookupGroup(name string) (uint32, error) {
	g, err := user.LookupGroup(name)
	if err == nil {
		return parseID(g.Gid)
	}
	var unknown user.UnknownGroupError
	if !errors.As(err, &unknown) {
		return 0, fmt.Errorf("look up group %q: %w", name, err)
	}
	if id, err := parseID(name); err == nil {
		return id, nil
	}
	return 0, fmt.Errorf("no group %q", name)
}

func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a numeric ID", s)
	}
	return uint32(n), nil
}

func currentIDs() (uid, gid uint32) {
	return uint32(os.Getuid()), uint32(os.Getgid())
}
