package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DRF's messages for a CharField, word for word.
const (
	msgRequired  = "This field is required."
	msgNull      = "This field may not be null."
	msgBlank     = "This field may not be blank."
	msgInvalid   = "Not a valid string."
	msgNullChars = "Null characters are not allowed."
)

// maxTitleLen is the title's max_length, in characters.
const maxTitleLen = 200

// charField is a DRF CharField of a serializer: trimmed of surrounding
// whitespace, as trim_whitespace does by default.
type charField struct {
	name       string
	required   bool // on a full update (POST, PUT); PATCH requires nothing
	allowBlank bool
	maxLen     int // 0: no limit
}

// noteFields are the fields a client writes, in DRF's order (the order
// of their errors).
var noteFields = [...]charField{
	{name: "title", required: true, maxLen: maxTitleLen},
	{name: "body", allowBlank: true},
}

// fieldError is the messages of one field, DRF's serializer.errors entry.
type fieldError struct {
	name     string
	messages []string
}

// validationError is a request DRF's serializer refuses: 400 with one
// key per field that has errors, in field order.
type validationError []fieldError

func (e validationError) Error() string { return fmt.Sprintf("invalid fields: %v", []fieldError(e)) }

// MarshalJSON writes the fields in order, which a map would sort.
func (e validationError) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range e {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, v := range []any{f.name, f.messages} {
			enc, err := marshal(v)
			if err != nil {
				return nil, err
			}
			b.Write(enc)
			if j == 0 {
				b.WriteByte(':')
			}
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// requestError is a request DRF refuses before its serializer sees it
// (the body is not JSON, too large, of another media type): its status
// and body.
type requestError struct {
	status int
	body   any // {"detail": …} or {"non_field_errors": […]}
}

func (e *requestError) Error() string { return fmt.Sprintf("%d %v", e.status, e.body) }

func detail(status int, msg string) *requestError {
	return &requestError{status: status, body: map[string]string{"detail": msg}}
}

func nonField(msg string) *requestError {
	return &requestError{status: http.StatusBadRequest, body: map[string][]string{"non_field_errors": {msg}}}
}

// readFields reads r's body as DRF's parsers do, then validates the
// note's fields as its serializer would, partial for PATCH. It returns
// the values given (by field name) or a *requestError or a
// validationError. Fields it does not know (id, owner …) are ignored, as
// DRF ignores unknown and read-only input.
func readFields(r *http.Request, partial bool) (map[string]string, error) {
	data, err := parseBody(r)
	if err != nil {
		return nil, err
	}
	values := map[string]string{}
	var errs validationError
	for _, f := range noteFields {
		raw, ok := data[f.name]
		if !ok {
			if f.required && !partial {
				errs = append(errs, fieldError{f.name, []string{msgRequired}})
			}
			continue
		}
		v, msgs := f.validate(raw)
		if len(msgs) > 0 {
			errs = append(errs, fieldError{f.name, msgs})
			continue
		}
		values[f.name] = v
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return values, nil
}

// validate is CharField.run_validation: null, blank (after trimming),
// then the value as a string (numbers are taken in their JSON form,
// booleans, lists and objects refused), then its validators.
func (f charField) validate(raw any) (string, []string) {
	var s string
	switch v := raw.(type) {
	case nil:
		return "", []string{msgNull}
	case string:
		s = v
	case json.Number:
		s = v.String()
	default:
		return "", []string{msgInvalid}
	}
	s = strings.TrimFunc(s, unicode.IsSpace) // Python's str.strip()
	if s == "" {
		if !f.allowBlank {
			return "", []string{msgBlank}
		}
		return "", nil
	}
	var msgs []string
	if f.maxLen > 0 && utf8.RuneCountInString(s) > f.maxLen {
		msgs = append(msgs, "Ensure this field has no more than "+strconv.Itoa(f.maxLen)+" characters.")
	}
	if strings.ContainsRune(s, 0) {
		msgs = append(msgs, msgNullChars)
	}
	return s, msgs
}

// maxMemory bounds the multipart form kept in memory; drover's
// --limit-request-body bounds the body itself.
const maxMemory = 1 << 20

// parseBody is DRF's request.data with its default parsers (JSON, form,
// multipart), those OPTIONS lists: no body or no Content-Type is no data;
// another media type is 415; a body that is not JSON is 400 "JSON parse
// error - …"; JSON that is no object is DRF's non_field_errors. A form's
// field is its last value, as Django's QueryDict.get gives it.
func parseBody(r *http.Request) (map[string]any, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if tooLarge, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, detail(http.StatusRequestEntityTooLarge, fmt.Sprintf("Request body is larger than %d bytes.", tooLarge.Limit))
		}
		return nil, detail(http.StatusBadRequest, "Could not read the request body.")
	}
	contentType := r.Header.Get("Content-Type")
	if len(body) == 0 || contentType == "" {
		return map[string]any{}, nil
	}
	mediaType, params, _ := mime.ParseMediaType(contentType)
	switch mediaType {
	case "application/json":
		return parseJSON(body)
	case "application/x-www-form-urlencoded":
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, detail(http.StatusBadRequest, "Form parse error - "+err.Error())
		}
		return lastValues(values), nil
	case "multipart/form-data":
		form, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(maxMemory)
		if err != nil {
			return nil, detail(http.StatusBadRequest, "Multipart form parse error - "+err.Error())
		}
		defer form.RemoveAll()
		return lastValues(form.Value), nil
	}
	return nil, detail(http.StatusUnsupportedMediaType, `Unsupported media type "`+contentType+`" in request.`)
}

// lastValues keeps each field's last value.
func lastValues(values map[string][]string) map[string]any {
	out := make(map[string]any, len(values))
	for k, vs := range values {
		if len(vs) > 0 {
			out[k] = vs[len(vs)-1]
		}
	}
	return out
}

// parseJSON is DRF's JSONParser, then the serializer's check that the
// data is an object.
func parseJSON(body []byte) (map[string]any, error) {
	// Python decodes the body as UTF-8 before parsing it; Go would
	// replace what is not.
	if !utf8.Valid(body) {
		return nil, detail(http.StatusBadRequest, "JSON parse error - invalid UTF-8 in the request body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("extra data after the JSON value")
		}
	}
	if err != nil {
		return nil, detail(http.StatusBadRequest, "JSON parse error - "+err.Error())
	}
	switch v := v.(type) {
	case map[string]any:
		return v, nil
	case nil:
		return nil, nonField("No data provided")
	default:
		return nil, nonField("Invalid data. Expected a dictionary, but got " + pythonType(v) + ".")
	}
}

// pythonType is the name of the Python type json.loads gives for v.
func pythonType(v any) string {
	switch v := v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case bool:
		return "bool"
	case json.Number:
		if strings.ContainsAny(v.String(), ".eE") {
			return "float"
		}
		return "int"
	}
	return "dict"
}

// marshal is v as DRF's JSONRenderer writes it: compact, with no HTML
// escaping and no trailing newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
