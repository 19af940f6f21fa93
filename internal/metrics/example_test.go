package metrics_test

import (
	"fmt"
	"time"

	"github.com/drover/drover/internal/metrics"
)

func ExampleRecorder() {
	r := metrics.NewRecorder()
	r.RecordRequest(metrics.ClassAPI, 200, 512, 40*time.Millisecond)
	r.RecordRequest(metrics.ClassApp, 404, 23, time.Millisecond)
	d := r.Delta() // what the next heartbeat carries
	for _, rc := range d.Requests {
		fmt.Println(rc.Class, rc.Code, rc.N)
	}
	fmt.Println(d.ResponseBytes, r.Delta() == nil)
	// Output:
	// app 404 1
	// api 200 1
	// 535 true
}
