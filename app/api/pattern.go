package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
)

// pattern is a [Router] path with named segments, "/notes/{id}/", split
// at its slashes: segs[i] is what the request path's i-th segment (after
// the leading "/") must be. A trailing slash is a last, empty literal
// segment, so "/notes/{id}/" and "/notes/{id}" have 3 and 2 segments and
// never match the same path.
type pattern struct {
	segs     []segment
	literals int // how many segs are literal: the precedence
}

// segment is a literal or, with wild, the name of a parameter.
type segment struct {
	s    string
	wild bool
}

// isPattern reports whether path is a pattern rather than an exact path:
// it has a brace. (A literal brace cannot be routed; http.ServeMux has
// the same rule.)
func isPattern(path string) bool { return strings.ContainsAny(path, "{}") }

// parsePattern splits a pattern whose "/" prefix Handle has checked. A
// parameter is a whole segment, "{name}", name a Go identifier, used
// once; no segment but the last may be empty.
func parsePattern(path string) (*pattern, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, errors.New(`it does not start with "/"`)
	}
	p := &pattern{}
	seen := make(map[string]bool)
	parts := strings.Split(path[1:], "/")
	for i, s := range parts {
		if !isPattern(s) {
			if s == "" && i < len(parts)-1 {
				return nil, errors.New("empty segment")
			}
			p.segs = append(p.segs, segment{s: s})
			p.literals++
			continue
		}
		if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' || strings.ContainsAny(s[1:len(s)-1], "{}") {
			return nil, fmt.Errorf("segment %q: a parameter is a whole segment, {name}", s)
		}
		name := s[1 : len(s)-1]
		switch {
		case name == "":
			return nil, fmt.Errorf("segment %q: a parameter needs a name", s)
		case !isIdentifier(name):
			return nil, fmt.Errorf("segment %q: %q is not a Go identifier", s, name)
		case seen[name]:
			return nil, fmt.Errorf("parameter %q used twice", name)
		}
		seen[name] = true
		p.segs = append(p.segs, segment{s: name, wild: true})
	}
	return p, nil
}

// match reports whether path (as r.URL.Path) has p's segments; the caller
// has checked that path has as many slashes as p has segments.
func (p *pattern) match(path string) bool {
	if !strings.HasPrefix(path, "/") {
		return false
	}
	rest := path[1:]
	for i, sg := range p.segs {
		seg := rest
		if i < len(p.segs)-1 {
			j := strings.IndexByte(rest, '/')
			if j < 0 {
				return false
			}
			seg, rest = rest[:j], rest[j+1:]
		} else if strings.IndexByte(rest, '/') >= 0 {
			return false
		}
		if sg.wild && seg == "" || !sg.wild && seg != sg.s {
			return false
		}
	}
	return true
}

// setValues sets r's path values from r.URL.Path, which p matches.
func (p *pattern) setValues(r *http.Request) {
	rest := r.URL.Path[1:]
	for _, sg := range p.segs {
		seg, tail, _ := strings.Cut(rest, "/")
		if sg.wild {
			r.SetPathValue(sg.s, seg)
		}
		rest = tail
	}
}

// conflict reports whether p and q, with as many literal segments, can
// match one path, and gives one such path: the precedence cannot choose
// between them.
func (p *pattern) conflict(q *pattern) (string, bool) {
	if p.literals != q.literals || len(p.segs) != len(q.segs) {
		return "", false
	}
	var b strings.Builder
	for i, ps := range p.segs {
		qs := q.segs[i]
		switch {
		case !ps.wild && !qs.wild && ps.s != qs.s:
			return "", false
		case ps.wild && qs.s == "" || qs.wild && ps.s == "":
			return "", false // the trailing slash: a parameter is never empty
		case !ps.wild:
			b.WriteString("/" + ps.s)
		case !qs.wild:
			b.WriteString("/" + qs.s)
		default:
			b.WriteString("/" + ps.s)
		}
	}
	return b.String(), true
}

// isIdentifier reports whether s is a Go identifier as http.ServeMux
// takes a wildcard's name: a letter or "_", then letters, digits and "_"
// (a keyword is fine: r.PathValue("type")).
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !unicode.IsLetter(c) && c != '_' && (i == 0 || !unicode.IsDigit(c)) {
			return false
		}
	}
	return true
}
