package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// observations records what an Observer is told.
type observations struct {
	mu  sync.Mutex
	got []Observation
}

func (o *observations) ObserveRequest(ob Observation) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, ob)
}

func TestObserver(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/token/":
			SetRouteClass(r.Context(), RouteAPI)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"detail":"x"}`))
		case "/panic":
			panic("boom")
		default:
			Routes().ServeHTTP(w, r)
		}
	})
	tests := []struct {
		name         string
		giveMethod   string
		giveTarget   string
		giveHeader   string
		giveNoAccess bool
		want         Observation
	}{
		{name: "app", giveMethod: "GET", giveTarget: "/hello/", want: Observation{Class: RouteApp, Status: 200, Bytes: 27}},
		{name: "app 404", giveMethod: "GET", giveTarget: "/nope", want: Observation{Class: RouteApp, Status: 404, Bytes: 23}},
		{name: "HEAD sends no body", giveMethod: "HEAD", giveTarget: "/hello/", want: Observation{Class: RouteApp, Status: 200}},
		{name: "api, set by the view", giveMethod: "POST", giveTarget: "/api/token/", want: Observation{Class: RouteAPI, Status: 401, Bytes: 14}},
		{name: "healthz, by the chain", giveMethod: "GET", giveTarget: "/healthz", want: Observation{Class: RouteHealth, Status: 200, Bytes: 15}},
		{name: "refused by the limits", giveMethod: "GET", giveTarget: "/hello/", giveHeader: strings.Repeat("x", 100), want: Observation{Class: RouteApp, Status: 431, Bytes: 61}},
		{name: "panic", giveMethod: "GET", giveTarget: "/panic", want: Observation{Class: RouteApp, Status: 500, Bytes: 37}},
		{name: "without an access log", giveMethod: "GET", giveTarget: "/hello/", giveNoAccess: true, want: Observation{Class: RouteApp, Status: 200, Bytes: 27}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := &observations{}
			access, _ := observed()
			if tt.giveNoAccess {
				access = nil
			}
			h := Chain(Config{Observer: obs, LimitRequestFieldSize: 64}, nil, access, next)
			r := httptest.NewRequest(tt.giveMethod, tt.giveTarget, nil)
			if tt.giveHeader != "" {
				r.Header.Set("X-Long", tt.giveHeader)
			}
			rec := serve(h, r)
			if len(obs.got) != 1 {
				t.Fatalf("%s %s: observer told %d times, want once", tt.giveMethod, tt.giveTarget, len(obs.got))
			}
			got := obs.got[0]
			if got.Duration <= 0 || got.Duration > time.Minute {
				t.Errorf("%s %s: Duration = %s, want a positive duration", tt.giveMethod, tt.giveTarget, got.Duration)
			}
			got.Duration = 0
			if got != tt.want {
				t.Errorf("%s %s: observed %+v, want %+v (the response: %d %q)", tt.giveMethod, tt.giveTarget, got, tt.want, rec.Code, rec.Body)
			}
		})
	}
}

// nopObserver is an Observer that does nothing, as cheap as a real one's
// atomic adds from the chain's side.
type nopObserver struct{}

func (nopObserver) ObserveRequest(Observation) {}

// TestObserverAllocatesNothing checks that an observer costs the request
// path no allocation: the chain allocates as much with one as without.
func TestObserverAllocatesNothing(t *testing.T) {
	allocs := func(obs Observer) float64 {
		h := Chain(Config{Observer: obs}, nil, nil, Routes())
		r := httptest.NewRequest("GET", "/hello/", nil)
		w := httptest.NewRecorder()
		return testing.AllocsPerRun(200, func() {
			w.Body.Reset()
			h.ServeHTTP(w, r)
		})
	}
	without, with := allocs(nil), allocs(nopObserver{})
	if with != without {
		t.Errorf("a request allocates %.1f times with an observer, %.1f without; want the same", with, without)
	}
}
