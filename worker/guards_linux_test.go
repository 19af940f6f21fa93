package worker

import (
	"net/http"
	"testing"

	"github.com/drover/drover/internal/proto"
)

// A worker whose heartbeat RSS is over MaxRSS reports Retiring with it,
// after the heartbeat that measured it.
func TestWorkerRetiresOverMaxRSS(t *testing.T) {
	sup, _, done := startWorker(t, func(o *Options) { o.MaxRSS = 1 << 20 }, http.HandlerFunc(hello))
	next(t, sup, proto.KindReady)
	hb := next(t, sup, proto.KindHeartbeat).(proto.Heartbeat)
	r := next(t, sup, proto.KindRetiring).(proto.Retiring)
	if r.Reason != "max-rss" || r.RSS != hb.RSS || r.RSS <= 1<<20 {
		t.Errorf("Retiring = %+v after a heartbeat of RSS %d, want max-rss with that RSS, over 1 MiB", r, hb.RSS)
	}
	sup.Close()
	<-done
}
