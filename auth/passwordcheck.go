package auth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed" // the common-password list
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// commonPasswordsGz is Django 3.2's common-passwords.txt.gz, unchanged:
// 20,000 passwords, lowercased, one a line (see COMMON-PASSWORDS-LICENSE).
// It stays compressed in the binary (79 KiB) and is read by
// NewPasswordValidator.
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

// The defaults of Django's AUTH_PASSWORD_VALIDATORS, as startproject
// writes them.
const (
	// DefaultMinPasswordLength is MinimumLengthValidator's min_length.
	DefaultMinPasswordLength = 8
	// DefaultMaxSimilarity is UserAttributeSimilarityValidator's
	// max_similarity.
	DefaultMaxSimilarity = 0.7
)

// PasswordError is a password that a [PasswordValidator] refused. Problems
// are in Django's words and order, one per failed validator.
type PasswordError struct {
	Problems []string
}

func (e *PasswordError) Error() string { return strings.Join(e.Problems, " ") }

// PasswordValidator applies Django's four default password validators,
// with their default settings: UserAttributeSimilarityValidator (on the
// username, the only attribute drover keeps), MinimumLengthValidator,
// CommonPasswordValidator and NumericPasswordValidator.
type PasswordValidator struct {
	common map[string]struct{}
}

// NewPasswordValidator reads the embedded common-password list.
func NewPasswordValidator() (*PasswordValidator, error) {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		return nil, fmt.Errorf("common passwords: %w", err)
	}
	common := make(map[string]struct{}, 20000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		common[strings.TrimSpace(sc.Text())] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("common passwords: %w", err)
	}
	return &PasswordValidator{common: common}, nil
}

// Validate returns nil for a password Django's default validators accept
// for a user of this name, else a [*PasswordError] listing every problem,
// as Django's validate_password does.
func (v *PasswordValidator) Validate(password, username string) error {
	var problems []string
	if tooSimilar(password, username, DefaultMaxSimilarity) {
		problems = append(problems, "The password is too similar to the username.")
	}
	if utf8.RuneCountInString(password) < DefaultMinPasswordLength {
		problems = append(problems, fmt.Sprintf("This password is too short. It must contain at least %d characters.", DefaultMinPasswordLength))
	}
	if _, ok := v.common[strings.TrimSpace(strings.ToLower(password))]; ok {
		problems = append(problems, "This password is too common.")
	}
	if isDigits(password) {
		problems = append(problems, "This password is entirely numeric.")
	}
	if problems != nil {
		return &PasswordError{Problems: problems}
	}
	return nil
}

// isDigits is Python's str.isdigit: not empty, and every character a
// digit.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// tooSimilar is UserAttributeSimilarityValidator for one attribute: the
// lowercased password against the lowercased value and each of its parts
// split at runs of non-word characters (re.split(r'\W+')), skipping the
// parts too short for the ratio to reach maxSimilarity
// (exceeds_maximum_length_ratio).
func tooSimilar(password, value string, maxSimilarity float64) bool {
	if value == "" {
		return false
	}
	pw := []rune(strings.ToLower(password))
	lower := strings.ToLower(value)
	parts := append(splitNonWord(lower), lower)
	for _, part := range parts {
		p := []rune(part)
		if exceedsMaximumLengthRatio(len(pw), maxSimilarity, len(p)) {
			continue
		}
		if quickRatio(pw, p) >= maxSimilarity {
			return true
		}
	}
	return false
}

// exceedsMaximumLengthRatio is Django's exceeds_maximum_length_ratio, on
// lengths in characters.
func exceedsMaximumLengthRatio(passwordLen int, maxSimilarity float64, valueLen int) bool {
	lengthBoundSimilarity := maxSimilarity / 2 * float64(passwordLen)
	return passwordLen >= 10*valueLen && float64(valueLen) < lengthBoundSimilarity
}

// splitNonWord is Python's re.split(r'\W+', s) for a str: the pieces
// between runs of characters that are neither letters, digits nor '_',
// with the empty pieces at either end that re.split keeps.
func splitNonWord(s string) []string {
	var parts []string
	start, inSep := 0, false
	for i, r := range s {
		word := r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
		switch {
		case !word && !inSep:
			parts = append(parts, s[start:i])
			inSep = true
		case word && inSep:
			start, inSep = i, false
		}
	}
	if inSep {
		return append(parts, "")
	}
	return append(parts, s[start:])
}

// quickRatio is difflib's SequenceMatcher(a=a, b=b).quick_ratio(): twice
// the size of the multiset intersection of a's and b's characters over
// their total length, 1 when both are empty.
func quickRatio(a, b []rune) float64 {
	if len(a)+len(b) == 0 {
		return 1
	}
	avail := make(map[rune]int, len(b))
	for _, r := range b {
		avail[r]++
	}
	matches := 0
	for _, r := range a {
		if avail[r] > 0 {
			matches++
		}
		avail[r]--
	}
	return 2 * float64(matches) / float64(len(a)+len(b))
}
