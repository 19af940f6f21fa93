package auth

import (
	"errors"
	"slices"
	"testing"
)

// TestPasswordValidatorMatchesDjango: each row's wantProblems is what
// Django 3.2.25's validate_password said for that user and password with
// the four default validators of startproject (the similarity one on the
// username alone), in Django's order.
func TestPasswordValidatorMatchesDjango(t *testing.T) {
	v, err := NewPasswordValidator()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		giveUser     string
		givePassword string
		wantProblems []string
	}{
		{giveUser: "alice", givePassword: "wonderland", wantProblems: []string{"This password is too common."}},
		{giveUser: "alice", givePassword: "alice123", wantProblems: []string{"The password is too similar to the username.", "This password is too common."}},
		{giveUser: "alice", givePassword: "Alice2024!", wantProblems: nil},
		{giveUser: "frank", givePassword: "frankfrank", wantProblems: nil},
		{giveUser: "frank", givePassword: "knarfknarf", wantProblems: nil},
		{giveUser: "bob", givePassword: "password", wantProblems: []string{"This password is too common."}},
		{giveUser: "bob", givePassword: "Password ", wantProblems: []string{"This password is too common."}},
		{giveUser: "bob", givePassword: "12345678", wantProblems: []string{"This password is too common.", "This password is entirely numeric."}},
		{giveUser: "bob", givePassword: "1234", wantProblems: []string{"This password is too short. It must contain at least 8 characters.", "This password is too common.", "This password is entirely numeric."}},
		{giveUser: "bob", givePassword: "short", wantProblems: []string{"This password is too short. It must contain at least 8 characters."}},
		{giveUser: "bob", givePassword: "correct horse battery staple", wantProblems: nil},
		{giveUser: "john.smith", givePassword: "smithjohnny", wantProblems: []string{"The password is too similar to the username."}},
		{giveUser: "john.smith", givePassword: "johnsmith99", wantProblems: []string{"The password is too similar to the username."}},
		{giveUser: "jo", givePassword: "aaaaaaaaaajo", wantProblems: nil},
		{giveUser: "j", givePassword: "jjjjjjjjjjjjjjjjjjjj", wantProblems: nil},
		{giveUser: "alice", givePassword: "ALICEALICE", wantProblems: nil},
		{giveUser: "mary_jane", givePassword: "maryjane!", wantProblems: []string{"The password is too similar to the username."}},
		{giveUser: "bob", givePassword: "letmein", wantProblems: []string{"This password is too short. It must contain at least 8 characters.", "This password is too common."}},
		{giveUser: "bob", givePassword: "٣٣٣٣٣٣٣٣٣", wantProblems: []string{"This password is entirely numeric."}},
		{giveUser: "élodie", givePassword: "Élodie1234", wantProblems: []string{"The password is too similar to the username."}},
		{giveUser: "bob", givePassword: "qwertyuiop", wantProblems: []string{"This password is too common."}},
		{giveUser: "ab", givePassword: "abababababababababababab", wantProblems: nil},
		{giveUser: "verylongusername", givePassword: "v3ryl0ngus3rn4m3", wantProblems: nil},
		{giveUser: "x-y", givePassword: "xy", wantProblems: []string{"The password is too similar to the username.", "This password is too short. It must contain at least 8 characters."}},
		{giveUser: "admin", givePassword: "admin", wantProblems: []string{"The password is too similar to the username.", "This password is too short. It must contain at least 8 characters.", "This password is too common."}},
		{giveUser: "bob", givePassword: "", wantProblems: []string{"This password is too short. It must contain at least 8 characters."}},
	}
	for _, tt := range tests {
		t.Run(tt.giveUser+"/"+tt.givePassword, func(t *testing.T) {
			var problems []string
			var pe *PasswordError
			if err := v.Validate(tt.givePassword, tt.giveUser); errors.As(err, &pe) {
				problems = pe.Problems
			}
			if !slices.Equal(problems, tt.wantProblems) {
				t.Errorf("Validate(%q, %q) = %q, want %q", tt.givePassword, tt.giveUser, problems, tt.wantProblems)
			}
		})
	}
}

// TestQuickRatio: difflib.SequenceMatcher(a=a, b=b).quick_ratio(), as
// Python 3 computes it.
func TestQuickRatio(t *testing.T) {
	tests := []struct {
		giveA, giveB string
		want         float64
	}{
		{giveA: "abcd", giveB: "bcde", want: 0.75},
		{giveA: "", giveB: "", want: 1},
		{giveA: "aab", giveB: "ab", want: 0.8},
		{giveA: "wonderland", giveB: "alice", want: 0.4},
		{giveA: "héllo", giveB: "hello", want: 0.8},
	}
	for _, tt := range tests {
		t.Run(tt.giveA+"/"+tt.giveB, func(t *testing.T) {
			if got := quickRatio([]rune(tt.giveA), []rune(tt.giveB)); got != tt.want {
				t.Errorf("quickRatio(%q, %q) = %v, want %v", tt.giveA, tt.giveB, got, tt.want)
			}
		})
	}
}

func TestSplitNonWord(t *testing.T) {
	tests := []struct {
		give string
		want []string
	}{
		{give: "john.smith", want: []string{"john", "smith"}},
		{give: "mary_jane", want: []string{"mary_jane"}},
		{give: ".a..b.", want: []string{"", "a", "b", ""}},
		{give: "", want: []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			if got := splitNonWord(tt.give); !slices.Equal(got, tt.want) {
				t.Errorf("splitNonWord(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}

func TestCommonPasswordListIsDjangos(t *testing.T) {
	v, err := NewPasswordValidator()
	if err != nil {
		t.Fatal(err)
	}
	// Django 3.2's file, read as Django reads it: 19,727 distinct lines.
	if n := len(v.common); n != 19727 {
		t.Errorf("%d common passwords, want Django's 19727", n)
	}
}
