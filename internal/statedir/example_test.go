package statedir_test

import (
	"fmt"

	"github.com/drover/drover/internal/statedir"
)

// Every file drover keeps is named by the state directory.
func ExampleDir() {
	d := statedir.Dir("/var/lib/drover")
	fmt.Println(d.Store())
	fmt.Println(d.ACME())
	// Output:
	// /var/lib/drover/drover.db
	// /var/lib/drover/certmagic
}
