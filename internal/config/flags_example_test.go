package config_test

import (
	"fmt"

	"github.com/drover/drover/internal/config"
)

func ExampleParseBool() {
	for _, s := range []string{"yes", "off", "1", "maybe"} {
		b, err := config.ParseBool(s)
		fmt.Println(b, err)
	}
	// Output:
	// true <nil>
	// false <nil>
	// true <nil>
	// false "maybe" is not a boolean (true/false, yes/no, on/off, 1/0)
}

func ExampleUnknownEnv() {
	environ := []string{"HOME=/root", "DROVER_WORKERS=4", "DROVER_WOKERS=4", "DROVER_ROLE=worker"}
	for _, w := range config.UnknownEnv(environ, "DROVER_ROLE") {
		fmt.Println(w)
	}
	// Output:
	// DROVER_WOKERS is not a drover setting and is ignored (did you mean DROVER_WORKERS?)
}

func ExampleResolve_flagTypo() {
	_, err := config.Resolve(config.Source{Args: []string{"--wrokers", "4"}, LookupEnv: func(string) (string, bool) { return "", false }})
	fmt.Println(err)
	// Output:
	// unknown flag: --wrokers (did you mean --workers?)
}
