package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/drover/drover/app/internal/drf"
)

// CharField is one field of a request body as a DRF serializers.CharField
// reads it, with DRF's messages: trimmed of surrounding whitespace
// (trim_whitespace), a string or a number, neither null nor blank, at
// most MaxLength characters, without NUL or lone surrogate characters.
// The zero CharField but for its Name is DRF's CharField().
type CharField struct {
	// Name is the field's key in the body.
	Name string
	// Optional is required=False: an absent field is no error, and not
	// among the values.
	Optional bool
	// AllowBlank is allow_blank=True: "" (once trimmed) is a value.
	AllowBlank bool
	// MaxLength, when positive, is max_length, in characters.
	MaxLength int
}

// ReadFields reads r's body as DRF's default parsers do (JSON, form,
// multipart: request.data) and validates fields as a serializer does, or
// as serializer(partial=True) for a PATCH when partial is set: a field
// that is absent is then no error. It returns the valid values by name.
// When DRF would refuse the request, ReadFields answers it itself, as
// DRF does (400 with every field's messages in field order, the parse
// error, 413, 415), and returns false.
//
//	values, ok := api.ReadFields(w, r, r.Method == http.MethodPatch,
//		api.CharField{Name: "title", MaxLength: 200},
//		api.CharField{Name: "body", Optional: true, AllowBlank: true})
//	if !ok {
//		return
//	}
func ReadFields(w http.ResponseWriter, r *http.Request, partial bool, fields ...CharField) (map[string]string, bool) {
	data, berr := parseBody(r)
	if berr == nil {
		var values map[string]string
		if values, berr = validate(data, partial, fields); berr == nil {
			return values, true
		}
	}
	drf.WriteJSON(w, berr.status, berr.body)
	return nil, false
}

// WriteJSON answers v as DRF's JSONRenderer writes it: compact, UTF-8
// unescaped but for U+2028 and U+2029, no HTML escaping, no trailing
// newline, Content-Type application/json. A v that does not marshal is
// the caller's error, returned before anything is written.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("render JSON: %w", err)
	}
	drf.WriteJSON(w, status, string(bytes.TrimSuffix(b.Bytes(), []byte("\n"))))
	return nil
}
