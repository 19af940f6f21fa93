package main

import (
	"bytes"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// site is a serving notes (notes serve -w 2) with the users alice and
// bob, created by notes createuser before it starts. It is stopped with
// TERM when the test ends, which must exit 0.
type site struct {
	*proc
	*client
	stateDir string
}

func newSite(t *testing.T, args ...string) *site {
	t.Helper()
	dir := t.TempDir()
	createUser(t, dir, "alice")
	createUser(t, dir, "bob")
	p := serve(t, 2, nil, append([]string{"--state-dir", dir}, args...)...)
	s := &site{proc: p, client: newClient(t, p), stateDir: dir}
	t.Cleanup(func() {
		// An idle keep-alive connection holds a draining worker for
		// --keep-alive's linger: close them first, as a client that is
		// done does.
		s.c.CloseIdleConnections()
		p.stop(t, syscall.SIGTERM)
	})
	return s
}

// noteJSON is a note as the API answers it.
type noteJSON struct {
	ID        int64  `json:"id"`
	Owner     int64  `json:"owner"`
	OwnerName string `json:"owner_name"`
	Title     string `json:"title"`
	Body      string `json:"body"`
	Created   string `json:"created"`
}

// create creates a note as the token's user and returns it.
func (s *site) create(token string, fields map[string]any) noteJSON {
	s.t.Helper()
	r := s.do(http.MethodPost, "/notes/", token, fields)
	if r.status != http.StatusCreated {
		s.t.Fatalf("POST /notes/ %v: %d %s, want 201", fields, r.status, r.body)
	}
	var n noteJSON
	decode(s.t, r.body, &n)
	return n
}

// list is GET /notes/, anonymously.
func (s *site) list() []noteJSON {
	s.t.Helper()
	r := s.do(http.MethodGet, "/notes/", "", nil)
	if r.status != http.StatusOK {
		s.t.Fatalf("GET /notes/: %d %s, want 200", r.status, r.body)
	}
	var notes []noteJSON
	decode(s.t, r.body, &notes)
	return notes
}

// DRF's bodies the tests expect word for word.
const (
	notProvided  = `{"detail":"Authentication credentials were not provided."}`
	denied       = `{"detail":"You do not have permission to perform this action."}`
	notFound     = `{"detail":"Not found."}`
	bearerRealm  = `Bearer realm="api"`
	jsonMimeType = "application/json"
)

// Done 1: anyone lists the notes.
func TestAnonymousList(t *testing.T) {
	s := newSite(t)
	r := s.do(http.MethodGet, "/notes/", "", nil)
	if r.status != http.StatusOK || r.body != "[]" {
		t.Errorf("GET /notes/ (none yet) = %d %s, want 200 []", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != jsonMimeType {
		t.Errorf("GET /notes/: Content-Type %q, want %q", ct, jsonMimeType)
	}
	access, _ := s.login("alice")
	n := s.create(access, map[string]any{"title": "public"})
	if got := s.list(); len(got) != 1 || got[0] != n {
		t.Errorf("GET /notes/ anonymously = %+v, want [%+v]", got, n)
	}
	r = s.do(http.MethodGet, fmt.Sprintf("/notes/%d/", n.ID), "", nil)
	if r.status != http.StatusOK {
		t.Errorf("GET /notes/%d/ anonymously = %d %s, want 200", n.ID, r.status, r.body)
	}
	// OPTIONS is a safe method: DRF's metadata, with the fields PUT takes.
	r = s.do(http.MethodOptions, fmt.Sprintf("/notes/%d/", n.ID), "", nil)
	const title = `"title":{"type":"string","required":true,"read_only":false,"label":"Title"}`
	if r.status != http.StatusOK || !strings.Contains(r.body, `"name":"Note Detail"`) || !strings.Contains(r.body, title) {
		t.Errorf("OPTIONS /notes/%d/ anonymously = %d %s, want 200 with the name Note Detail and %s", n.ID, r.status, r.body, title)
	}
}

// Done 2: creating takes credentials, refused as DRF refuses them.
func TestAnonymousCreateRefused(t *testing.T) {
	s := newSite(t)
	r := s.do(http.MethodPost, "/notes/", "", map[string]any{"title": "t"})
	if r.status != http.StatusUnauthorized || r.body != notProvided {
		t.Errorf("anonymous POST /notes/ = %d %s, want 401 %s", r.status, r.body, notProvided)
	}
	if got := r.header.Get("WWW-Authenticate"); got != bearerRealm {
		t.Errorf("anonymous POST /notes/: WWW-Authenticate %q, want %q", got, bearerRealm)
	}
	r = s.do(http.MethodPost, "/notes/", "not-a-token", map[string]any{"title": "t"})
	if r.status != http.StatusUnauthorized || !strings.Contains(r.body, `"code":"token_not_valid"`) {
		t.Errorf("POST /notes/ with a bad token = %d %s, want 401 token_not_valid", r.status, r.body)
	}
	if got := s.list(); len(got) != 0 {
		t.Errorf("GET /notes/ after refused creates = %+v, want none", got)
	}
}

// Done 3 and 5: a user logs in and creates; the note's owner is the
// token's user and its owner_name the custom claim, read in the handler.
func TestCreate(t *testing.T) {
	s := newSite(t)
	access, _ := s.login("alice")
	claims := payload(t, access)
	before := time.Now().UTC().Add(-time.Second)
	r := s.do(http.MethodPost, "/notes/", access, map[string]any{"title": "  groceries  ", "body": "eggs", "owner": 999, "id": 7})
	if r.status != http.StatusCreated {
		t.Fatalf("POST /notes/ as alice = %d %s, want 201", r.status, r.body)
	}
	var n noteJSON
	decode(t, r.body, &n)
	if got, want := fmt.Sprint(n.Owner), fmt.Sprint(claims["user_id"]); got != want {
		t.Errorf("note owner = %s, want the token's user_id %s", got, want)
	}
	if n.OwnerName != claims["username"] || n.OwnerName != "alice" {
		t.Errorf("note owner_name = %q, want the token's username claim %q (alice)", n.OwnerName, claims["username"])
	}
	if n.Title != "groceries" || n.Body != "eggs" || n.ID == 7 {
		t.Errorf("note = %+v, want title trimmed, body eggs and an id of the table's", n)
	}
	created, err := time.Parse(time.RFC3339Nano, n.Created)
	if err != nil || created.Before(before) || !strings.HasSuffix(n.Created, "Z") {
		t.Errorf("note created = %q (%v), want a UTC time since the request", n.Created, err)
	}
	r = s.do(http.MethodGet, fmt.Sprintf("/notes/%d/", n.ID), "", nil)
	var got noteJSON
	decode(t, r.body, &got)
	if r.status != http.StatusOK || got != n {
		t.Errorf("GET /notes/%d/ = %d %+v, want 200 %+v", n.ID, r.status, got, n)
	}

	// The other parsers OPTIONS lists, as DRF's defaults: a form and a
	// multipart form.
	var multi bytes.Buffer
	mw := multipart.NewWriter(&multi)
	if err := errors.Join(mw.WriteField("title", "from a multipart form"), mw.WriteField("body", "b"), mw.Close()); err != nil {
		t.Fatal(err)
	}
	for _, body := range []rawBody{
		{"application/x-www-form-urlencoded", "title=from+a+form&body=b"},
		{mw.FormDataContentType(), multi.String()},
	} {
		r := s.do(http.MethodPost, "/notes/", access, body)
		decode(t, r.body, &got)
		if r.status != http.StatusCreated || !strings.HasPrefix(got.Title, "from a") || got.Body != "b" || got.OwnerName != "alice" {
			t.Errorf("POST /notes/ as %s = %d %s, want 201 with its title and body", body.contentType, r.status, r.body)
		}
	}
}

// Done 4: only the owner changes a note (the object permission); anyone
// else is refused with DRF's 403.
func TestOnlyOwnerChanges(t *testing.T) {
	s := newSite(t)
	alice, _ := s.login("alice")
	bob, _ := s.login("bob")
	n := s.create(alice, map[string]any{"title": "alice's", "body": "mine"})
	path := fmt.Sprintf("/notes/%d/", n.ID)

	for _, method := range []string{http.MethodPut, http.MethodPatch, http.MethodDelete} {
		r := s.do(method, path, bob, map[string]any{"title": "bob's now"})
		if r.status != http.StatusForbidden || r.body != denied {
			t.Errorf("%s %s as bob = %d %s, want 403 %s", method, path, r.status, r.body, denied)
		}
		r = s.do(method, path, "", map[string]any{"title": "anyone's"})
		if r.status != http.StatusUnauthorized || r.body != notProvided {
			t.Errorf("%s %s anonymously = %d %s, want 401 %s", method, path, r.status, r.body, notProvided)
		}
	}
	if got := s.list(); len(got) != 1 || got[0] != n {
		t.Errorf("GET /notes/ after refused changes = %+v, want [%+v]", got, n)
	}

	r := s.do(http.MethodPatch, path, alice, map[string]any{"body": "still mine"})
	want := n
	want.Body = "still mine"
	var got noteJSON
	decode(t, r.body, &got)
	if r.status != http.StatusOK || got != want {
		t.Errorf("PATCH %s as alice = %d %+v, want 200 %+v", path, r.status, got, want)
	}
	r = s.do(http.MethodPut, path, alice, map[string]any{"title": "replaced"})
	want.Title = "replaced" // body, not required, is kept, as DRF's update keeps it
	decode(t, r.body, &got)
	if r.status != http.StatusOK || got != want {
		t.Errorf("PUT %s as alice (no body) = %d %+v, want 200 %+v", path, r.status, got, want)
	}
	r = s.do(http.MethodPut, path, alice, map[string]any{"title": "replaced", "body": ""})
	want.Body = ""
	decode(t, r.body, &got)
	if r.status != http.StatusOK || got != want {
		t.Errorf("PUT %s as alice (blank body) = %d %+v, want 200 %+v", path, r.status, got, want)
	}
	r = s.do(http.MethodDelete, path, alice, nil)
	if r.status != http.StatusNoContent || r.body != "" {
		t.Errorf("DELETE %s as alice = %d %q, want 204 and no body", path, r.status, r.body)
	}
	for _, token := range []string{"", alice} {
		r = s.do(http.MethodGet, path, token, nil)
		if r.status != http.StatusNotFound || r.body != notFound {
			t.Errorf("GET %s after the delete = %d %s, want 404 %s", path, r.status, r.body, notFound)
		}
	}
	r = s.do(http.MethodDelete, path, bob, nil)
	if r.status != http.StatusNotFound {
		t.Errorf("DELETE %s (gone) as bob = %d %s, want 404: the note is looked up before its permission", path, r.status, r.body)
	}
}

// Done 5: the custom claim is in the access and refresh tokens of a
// login, and of a refresh.
func TestCustomClaim(t *testing.T) {
	s := newSite(t)
	access, refresh := s.login("bob")
	tokens := map[string]string{"login's access": access, "login's refresh": refresh}
	r := s.do(http.MethodPost, "/api/token/refresh/", "", map[string]string{"refresh": refresh})
	if r.status != http.StatusOK {
		t.Fatalf("POST /api/token/refresh/ = %d %s, want 200", r.status, r.body)
	}
	var refreshed struct{ Access, Refresh string }
	decode(t, r.body, &refreshed)
	tokens["refresh's access"] = refreshed.Access
	if refreshed.Refresh != "" { // rotation on
		tokens["refresh's refresh"] = refreshed.Refresh
	}
	for name, token := range tokens {
		if got := payload(t, token)["username"]; got != "bob" {
			t.Errorf("%s token: username claim = %v, want bob", name, got)
		}
	}
	n := s.create(refreshed.Access, map[string]any{"title": "from a refreshed token"})
	if n.OwnerName != "bob" {
		t.Errorf("note created with the refreshed access token: owner_name %q, want bob", n.OwnerName)
	}
}

// Validation answers as DRF's serializer and parsers do.
func TestValidation(t *testing.T) {
	s := newSite(t)
	alice, _ := s.login("alice")
	n := s.create(alice, map[string]any{"title": "exists"})
	detail := fmt.Sprintf("/notes/%d/", n.ID)
	tests := []struct {
		name       string
		giveMethod string
		givePath   string
		giveBody   any
		wantStatus int
		wantBody   string
	}{
		{"missing title", "POST", "/notes/", map[string]any{"body": "b"}, 400, `{"title":["This field is required."]}`},
		{"no body at all", "POST", "/notes/", nil, 400, `{"title":["This field is required."]}`},
		{"blank title", "POST", "/notes/", map[string]any{"title": ""}, 400, `{"title":["This field may not be blank."]}`},
		{"whitespace title", "POST", "/notes/", map[string]any{"title": " \t\n"}, 400, `{"title":["This field may not be blank."]}`},
		{"null title", "POST", "/notes/", map[string]any{"title": nil}, 400, `{"title":["This field may not be null."]}`},
		{"boolean title", "POST", "/notes/", map[string]any{"title": true}, 400, `{"title":["Not a valid string."]}`},
		{"title of 201", "POST", "/notes/", map[string]any{"title": strings.Repeat("é", 201)}, 400, `{"title":["Ensure this field has no more than 200 characters."]}`},
		{"errors in field order", "POST", "/notes/", map[string]any{"body": []int{1}, "title": ""}, 400, `{"title":["This field may not be blank."],"body":["Not a valid string."]}`},
		{"a list", "POST", "/notes/", rawBody{"application/json", `[{"title":"x"}]`}, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
		{"null", "POST", "/notes/", rawBody{"application/json", `null`}, 400, `{"non_field_errors":["No data provided"]}`},
		{"plain text", "POST", "/notes/", rawBody{"text/plain", `title=x`}, 415, `{"detail":"Unsupported media type \"text/plain\" in request."}`},
		{"a form with a blank title", "POST", "/notes/", rawBody{"application/x-www-form-urlencoded", `title=+&body=b`}, 400, `{"title":["This field may not be blank."]}`},
		{"PUT without title", "PUT", detail, map[string]any{"body": "b"}, 400, `{"title":["This field is required."]}`},
		{"PATCH blank title", "PATCH", detail, map[string]any{"title": ""}, 400, `{"title":["This field may not be blank."]}`},
		{"PATCH nothing", "PATCH", detail, map[string]any{}, 200, fmt.Sprintf(`{"id":%d,"owner":%d,"owner_name":"alice","title":"exists","body":"","created":%q}`, n.ID, n.Owner, n.Created)},
		{"id not a number", "GET", "/notes/abc/", nil, 404, notFound},
		{"id with a sign", "PATCH", "/notes/+1/", map[string]any{}, 404, notFound},
		{"id too large", "GET", "/notes/99999999999999999999/", nil, 404, notFound},
		{"no such note", "DELETE", "/notes/4242/", nil, 404, notFound},
		{"unknown path", "GET", "/notes/1/x/", nil, 404, notFound},
		{"method not allowed", "DELETE", "/notes/", nil, 405, `{"detail":"Method \"DELETE\" not allowed."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(tt.giveMethod, tt.givePath, alice, tt.giveBody)
			if r.status != tt.wantStatus || r.body != tt.wantBody {
				t.Errorf("%s %s %v = %d %s, want %d %s", tt.giveMethod, tt.givePath, tt.giveBody, r.status, r.body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	if got := s.list(); len(got) != 1 || got[0] != n {
		t.Errorf("GET /notes/ after refused requests = %+v, want only [%+v]", got, n)
	}
}

// A body that is not JSON is DRF's parse error.
func TestJSONParseError(t *testing.T) {
	s := newSite(t)
	alice, _ := s.login("alice")
	r := s.do(http.MethodPost, "/notes/", alice, rawBody{"application/json", `{"title": "x"`})
	if r.status != http.StatusBadRequest || !strings.HasPrefix(r.body, `{"detail":"JSON parse error - `) {
		t.Errorf(`POST /notes/ {"title": "x" = %d %s, want 400 {"detail":"JSON parse error - …"}`, r.status, r.body)
	}
}

// APPEND_SLASH: a detail path without its slash is redirected, as
// Django's CommonMiddleware does.
func TestAppendSlash(t *testing.T) {
	s := newSite(t)
	r := s.do(http.MethodGet, "/notes/12", "", nil)
	if r.status != http.StatusMovedPermanently || r.header.Get("Location") != "/notes/12/" {
		t.Errorf("GET /notes/12 = %d Location %q, want 301 /notes/12/", r.status, r.header.Get("Location"))
	}
}

// Done 6, behaviour: --notes-page-size 3 lists the 3 newest of 4 notes.
func TestPageSizeLimitsTheList(t *testing.T) {
	s := newSite(t, "--notes-page-size", "3")
	alice, _ := s.login("alice")
	var created []noteJSON
	for i := range 4 {
		created = append(created, s.create(alice, map[string]any{"title": fmt.Sprint("note ", i)}))
	}
	got := s.list()
	want := []noteJSON{created[3], created[2], created[1]}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("GET /notes/ with --notes-page-size 3 = %+v, want the 3 newest %+v", got, want)
	}
}

// Done 6, the config file: notes_page_size from --config, and HUP, which
// re-reads the file and starts new workers (opening notes.db again)
// before the old ones drain.
func TestPageSizeFromConfigFileAndReload(t *testing.T) {
	configFile := filepath.Join(t.TempDir(), "notes.toml")
	if err := os.WriteFile(configFile, []byte("notes_page_size = 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newSite(t, "--config", configFile)
	alice, _ := s.login("alice")
	for i := range 4 {
		s.create(alice, map[string]any{"title": fmt.Sprint("note ", i)})
	}
	if got := s.list(); len(got) != 3 {
		t.Fatalf("GET /notes/ with notes_page_size = 3 in the file: %d notes, want 3", len(got))
	}
	if err := os.WriteFile(configFile, []byte("notes_page_size = 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.waitStderr(t, `"msg":"reload complete"`)
	// The old workers are draining now, and may take a last connection
	// before they close their listener: poll with a deadline, over new
	// connections (a kept one stays with its worker until it drains).
	deadline := time.Now().Add(waitTimeout)
	for {
		s.c.CloseIdleConnections()
		got := s.list()
		if len(got) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /notes/ %s after HUP with notes_page_size = 2: still %d notes", waitTimeout, len(got))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Done 6, layers: the setting from a flag, either environment variable
// (the program's winning over DROVER_'s) and the config file, as notes
// check prints the resolved configuration.
func TestPageSizeLayers(t *testing.T) {
	configFile := filepath.Join(t.TempDir(), "notes.toml")
	if err := os.WriteFile(configFile, []byte("notes_page_size = 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		giveEnv  []string
		giveArgs []string
		wantLine string
	}{
		{"default", nil, nil, "notes_page_size = 50"},
		{"flag", nil, []string{"--notes-page-size", "3"}, "notes_page_size = 3"},
		{"flag with =", nil, []string{"--notes-page-size=3"}, "notes_page_size = 3"},
		{"program's variable", []string{"NOTES_NOTES_PAGE_SIZE=3"}, nil, "notes_page_size = 3"},
		{"drover's variable", []string{"DROVER_NOTES_PAGE_SIZE=3"}, nil, "notes_page_size = 3"},
		{"program's variable wins", []string{"DROVER_NOTES_PAGE_SIZE=7", "NOTES_NOTES_PAGE_SIZE=3"}, nil, "notes_page_size = 3"},
		{"config file", nil, []string{"--config", configFile}, "notes_page_size = 3"},
		{"flag over variable over file", []string{"NOTES_NOTES_PAGE_SIZE=9"}, []string{"--config", configFile, "--notes-page-size", "4"}, "notes_page_size = 4"},
		{"variable over file", []string{"NOTES_NOTES_PAGE_SIZE=9"}, []string{"--config", configFile}, "notes_page_size = 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"check", "--state-dir", t.TempDir()}, tt.giveArgs...)
			out, errOut, status := run(t, "", tt.giveEnv, args...)
			if status != 0 || !hasLine(out, tt.wantLine) {
				t.Errorf("%v notes %s: status %d, want 0 and the line %q\nstdout:\n%s\nstderr:\n%s", tt.giveEnv, strings.Join(args, " "), status, tt.wantLine, out, errOut)
			}
		})
	}
}

// Done 6, refusal: a value the program's Check refuses stops notes before
// it serves, with one line naming where the value came from, and exit
// status 1: drover's status for a refused setting (README, "Exit
// statuses"), the same under serve, dev and check.
func TestPageSizeRefused(t *testing.T) {
	configFile := filepath.Join(t.TempDir(), "notes.toml")
	if err := os.WriteFile(configFile, []byte("notes_page_size = 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const outOfRange = "must be from 1 to 1000"
	tests := []struct {
		name       string
		giveEnv    []string
		giveArgs   []string
		wantName   string
		wantReason string
	}{
		{"serve, flag", nil, []string{"serve", "--notes-page-size", "0"}, "--notes-page-size", outOfRange + ", got 0"},
		{"check, flag", nil, []string{"check", "--notes-page-size", "1001"}, "--notes-page-size", outOfRange + ", got 1001"},
		{"dev, not a number", nil, []string{"dev", "--notes-page-size", "many"}, "--notes-page-size", `"many" is not a whole number`},
		{"serve, program's variable", []string{"NOTES_NOTES_PAGE_SIZE=0"}, []string{"serve"}, "NOTES_NOTES_PAGE_SIZE", outOfRange},
		{"serve, drover's variable", []string{"DROVER_NOTES_PAGE_SIZE=-5"}, []string{"serve"}, "DROVER_NOTES_PAGE_SIZE", outOfRange},
		{"serve, config file", nil, []string{"serve", "--config", configFile}, "notes_page_size", outOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(tt.giveArgs, "--state-dir", t.TempDir(), "--bind", freeAddr(t))
			_, errOut, status := run(t, "", tt.giveEnv, args...)
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if status != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "notes: ") ||
				!strings.Contains(lines[0], tt.wantName) || !strings.Contains(lines[0], tt.wantReason) {
				t.Errorf("%v notes %s: status %d, stderr %q; want 1 and one line \"notes: …\" naming %s and saying %q",
					tt.giveEnv, strings.Join(args, " "), status, errOut, tt.wantName, tt.wantReason)
			}
		})
	}
}

// Done 7: help lists the program's setting beside drover's JWT flags and
// the user commands.
func TestHelp(t *testing.T) {
	out, errOut, status := run(t, "", nil, "help")
	if status != 0 {
		t.Fatalf("notes help: status %d, stderr %s", status, errOut)
	}
	for _, want := range []string{"--notes-page-size", "the most notes GET /notes/ returns", "--secret-key-file", "--access-token-lifetime", "--refresh-token-lifetime", "--jwt-algorithm", "createuser"} {
		if !strings.Contains(out, want) {
			t.Errorf("notes help lists no %q:\n%s", want, out)
		}
	}
}

// Done 8: notes dev serves the same routes from one process, with the
// development banner naming notes, and stops on INT with status 0.
func TestDev(t *testing.T) {
	dir := t.TempDir()
	createUser(t, dir, "alice")
	p := start(t, nil, "dev", "--state-dir", dir)
	c := newClient(t, p)
	if r := c.do(http.MethodGet, "/notes/", "", nil); r.status != http.StatusOK || r.body != "[]" {
		t.Errorf("dev: GET /notes/ = %d %s, want 200 []", r.status, r.body)
	}
	access, _ := c.login("alice")
	if r := c.do(http.MethodPost, "/notes/", access, map[string]any{"title": "dev"}); r.status != http.StatusCreated {
		t.Errorf("dev: POST /notes/ = %d %s, want 201", r.status, r.body)
	}
	p.waitStderr(t, "notes dev: DEVELOPMENT SERVER")
	c.c.CloseIdleConnections()
	p.stop(t, syscall.SIGINT)
}

// Done 9: two workers share the SQLite file (both hold it open) under a
// burst of concurrent creates from several keep-alive clients: every
// create succeeds and the list holds them all.
func TestConcurrentCreates(t *testing.T) {
	const clients, perClient = 4, 25
	s := newSite(t, "--notes-page-size", "1000")
	db, err := filepath.EvalSymlinks(filepath.Join(s.stateDir, "notes.db")) // as /proc shows it
	if err != nil {
		t.Fatal(err)
	}
	if holders := openedBy(t, s.cmd.Process.Pid, db); len(holders) != 2 {
		t.Fatalf("%d workers hold %s open (%v), want both", len(holders), db, holders)
	}
	alice, _ := s.login("alice")
	var (
		mu       sync.Mutex
		ids      = map[int64]bool{}
		failures []string
		wg       sync.WaitGroup
	)
	for g := range clients {
		wg.Go(func() {
			c := newClient(t, s.proc) // its own keep-alive connection
			defer c.c.CloseIdleConnections()
			for i := range perClient {
				r, err := c.request(http.MethodPost, "/notes/", alice, map[string]any{"title": fmt.Sprintf("client %d note %d", g, i)})
				mu.Lock()
				switch {
				case err != nil:
					failures = append(failures, err.Error())
				case r.status != http.StatusCreated:
					failures = append(failures, fmt.Sprintf("%d %s", r.status, r.body))
				default:
					var n noteJSON
					if err := decodeErr(r.body, &n); err != nil {
						failures = append(failures, err.Error())
					}
					ids[n.ID] = true
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d creates failed, the first: %s", len(failures), clients*perClient, failures[0])
	}
	if len(ids) != clients*perClient {
		t.Errorf("%d distinct ids for %d creates, want one each", len(ids), clients*perClient)
	}
	listed := s.list()
	for _, n := range listed {
		delete(ids, n.ID)
	}
	if len(listed) != clients*perClient || len(ids) != 0 {
		t.Errorf("GET /notes/ lists %d notes, want the %d created (%d created ones missing)", len(listed), clients*perClient, len(ids))
	}
}

// openedBy lists the children of pid (the supervisor's workers) that
// hold file open, from /proc.
func openedBy(t *testing.T, pid int, file string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var holders []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || parentOf(child) != pid {
			continue
		}
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", child)) // gone: none
		for _, fd := range fds {
			if target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", child, fd.Name())); target == file {
				holders = append(holders, child)
				break
			}
		}
	}
	return holders
}

// parentOf is pid's parent, from /proc/PID/stat, or -1 when pid is gone.
func parentOf(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// "PID (COMM) STATE PPID …": COMM may hold spaces and parentheses.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 2 {
		return -1
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return -1
	}
	return ppid
}

// hasLine reports whether text has line as one of its lines.
func hasLine(text, line string) bool {
	for l := range strings.Lines(text) {
		if strings.TrimRight(l, "\n") == line {
			return true
		}
	}
	return false
}
