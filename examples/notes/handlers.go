package main

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strconv"

	"go.uber.org/zap"

	"github.com/drover/drover/app"
	"github.com/drover/drover/app/api"
	"github.com/drover/drover/auth"
	"github.com/drover/drover/cli"
)

// routes registers notes' routes, once in each worker process (and once
// in dev mode): drover calls it with the router, its authentication and
// the resolved settings.
func routes(ctx context.Context, a *cli.App) error {
	s, err := openStore(ctx, filepath.Join(a.StateDir, "notes.db"))
	if err != nil {
		return err
	}
	a.OnClose(s.Close) // after the worker has drained
	h := &handlers{store: s, pageSize: a.Settings.Int(pageSizeSetting), log: a.Log}

	// DRF's ListCreateAPIView with permission_classes =
	// [IsAuthenticatedOrReadOnly]: anyone lists, a user creates.
	a.Router.Handle(http.MethodGet, "/notes/", http.HandlerFunc(h.list))
	a.Router.Handle(http.MethodPost, "/notes/", http.HandlerFunc(h.create))
	a.Router.Guard("/notes/", a.Auth.Require(api.IsAuthenticatedOrReadOnly))
	a.Router.Describe("/notes/", "Note List", "The newest notes; an authenticated user adds one.")
	a.Router.Accepts("/notes/", http.MethodPost, writeFields...)

	// DRF's RetrieveUpdateDestroyAPIView with [IsAuthenticatedOrReadOnly,
	// IsOwnerOrReadOnly]: the first is checked by the guard, before the
	// note is read; the second, an object permission, by the handlers,
	// once they have the note.
	a.Router.Handle(http.MethodGet, "/notes/{id}/", http.HandlerFunc(h.get))
	a.Router.Handle(http.MethodPut, "/notes/{id}/", http.HandlerFunc(h.update))
	a.Router.Handle(http.MethodPatch, "/notes/{id}/", http.HandlerFunc(h.update))
	a.Router.Handle(http.MethodDelete, "/notes/{id}/", http.HandlerFunc(h.delete))
	a.Router.Guard("/notes/{id}/", a.Auth.Require(api.IsAuthenticatedOrReadOnly))
	a.Router.Describe("/notes/{id}/", "Note Detail", "One note; its owner changes or deletes it.")
	a.Router.Accepts("/notes/{id}/", http.MethodPut, writeFields...)
	return nil
}

// maxTitleLen is the title's max_length, in characters.
const maxTitleLen = 200

// noteFields are the fields a client writes, as the serializer's
// CharFields, in DRF's order (the order of their errors). Fields it does
// not know (id, owner …) are ignored, as DRF ignores read-only input.
var noteFields = []api.CharField{
	{Name: "title", MaxLength: maxTitleLen},
	{Name: "body", Optional: true, AllowBlank: true},
}

// writeFields are the fields OPTIONS reports, as DRF's metadata describes
// the serializer.
var writeFields = []api.Field{
	{Name: "id", Type: "integer", ReadOnly: true, Label: "ID"},
	{Name: "owner", Type: "integer", ReadOnly: true},
	{Name: "owner_name", Type: "string", ReadOnly: true},
	{Name: "title", Required: true},
	{Name: "body"},
	{Name: "created", Type: "datetime", ReadOnly: true},
}

// isOwnerOrReadOnly is the tutorial's IsOwnerOrReadOnly object
// permission as an api.Permission for one note: anyone may read it, only
// its owner change it.
func isOwnerOrReadOnly(n note) api.Permission {
	return func(r *http.Request, u auth.User) bool {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return true
		}
		return u.ID == n.Owner
	}
}

// handlers answers notes' routes.
type handlers struct {
	store    *store
	pageSize int
	log      *zap.Logger
}

// list answers the newest notes, at most the page size.
func (h *handlers) list(w http.ResponseWriter, r *http.Request) {
	notes, err := h.store.list(r.Context(), h.pageSize)
	if err != nil {
		h.serverError(w, err)
		return
	}
	h.writeJSON(w, http.StatusOK, notes)
}

// create adds a note owned by the authenticated user (the guard let only
// users through for POST). The owner's name comes from the token's custom
// claim, not from a query.
func (h *handlers) create(w http.ResponseWriter, r *http.Request) {
	u, _ := auth.UserFrom(r.Context())
	var name string
	if c, ok := auth.ClaimsFrom(r.Context()); ok {
		// A token issued before notes added the claim has none: name
		// stays "".
		if _, err := c.Claim(usernameClaim, &name); err != nil {
			h.serverError(w, err)
			return
		}
	}
	values, ok := api.ReadFields(w, r, false, noteFields...)
	if !ok {
		return
	}
	n, err := h.store.create(r.Context(), note{Owner: u.ID, OwnerName: name, Title: values["title"], Body: values["body"]})
	if err != nil {
		h.serverError(w, err)
		return
	}
	h.writeJSON(w, http.StatusCreated, n)
}

// get answers one note.
func (h *handlers) get(w http.ResponseWriter, r *http.Request) {
	if n, ok := h.note(w, r); ok {
		h.writeJSON(w, http.StatusOK, n)
	}
}

// update answers PUT (title required) and PATCH (any of the fields) by
// the note's owner.
func (h *handlers) update(w http.ResponseWriter, r *http.Request) {
	n, ok := h.note(w, r)
	if !ok {
		return
	}
	values, ok := api.ReadFields(w, r, r.Method == http.MethodPatch, noteFields...)
	if !ok {
		return
	}
	if v, ok := values["title"]; ok {
		n.Title = v
	}
	// A field left out keeps its value, PUT or PATCH: DRF's full update
	// requires the required fields, and body is not one.
	if v, ok := values["body"]; ok {
		n.Body = v
	}
	if err := h.store.update(r.Context(), n); err != nil {
		h.storeError(w, err)
		return
	}
	h.writeJSON(w, http.StatusOK, n)
}

// delete deletes the note: 204 with no body.
func (h *handlers) delete(w http.ResponseWriter, r *http.Request) {
	n, ok := h.note(w, r)
	if !ok {
		return
	}
	if err := h.store.delete(r.Context(), n.ID); err != nil {
		h.storeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// note is DRF's get_object: the note of the path's id, or 404 when the id
// is no integer (Django's <int:pk> converter matches digits only) or no
// note; then the object permission, 403 when it refuses. ok is false when
// the request has been answered.
func (h *handlers) note(w http.ResponseWriter, r *http.Request) (n note, ok bool) {
	id, err := pathID(r.PathValue("id"))
	if err != nil {
		app.Error(w, http.StatusNotFound, "Not found.")
		return n, false
	}
	n, err = h.store.get(r.Context(), id)
	if err != nil {
		h.storeError(w, err)
		return n, false
	}
	u, _ := auth.UserFrom(r.Context()) // the zero User when anonymous
	if !isOwnerOrReadOnly(n)(r, u) {
		api.Deny(w, r)
		return n, false
	}
	return n, true
}

// errBadID is a path id that Django's int converter would not match.
var errBadID = errors.New("not a note id")

// pathID parses an id as Django's <int:pk> does: ASCII digits only (no
// sign), leading zeros allowed.
func pathID(s string) (int64, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errBadID
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errBadID // too large for any row
	}
	return id, nil
}

// storeError answers err of the store: 404 for a note that is not
// there, 500 otherwise.
func (h *handlers) storeError(w http.ResponseWriter, err error) {
	if errors.Is(err, errNotFound) {
		app.Error(w, http.StatusNotFound, "Not found.")
		return
	}
	h.serverError(w, err)
}

// serverError logs err and answers DRF's 500, which says nothing of it.
func (h *handlers) serverError(w http.ResponseWriter, err error) {
	h.log.Error("request failed", zap.Error(err))
	app.Error(w, http.StatusInternalServerError, "A server error occurred.")
}

// writeJSON answers v as DRF's JSONRenderer writes it.
func (h *handlers) writeJSON(w http.ResponseWriter, status int, v any) {
	if err := api.WriteJSON(w, status, v); err != nil {
		h.serverError(w, err)
	}
}
