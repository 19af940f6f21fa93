package cli

import (
	"testing"

	"github.com/drover/drover/internal/config"
)

func TestDatabaseURL(t *testing.T) {
	tests := []struct {
		name         string
		giveURL      string
		givePassword string
		want         string
	}{
		{name: "no password file: as given", giveURL: "postgres://drover@db/drover", want: "postgres://drover@db/drover"},
		{name: "URL", giveURL: "postgres://drover@db:5432/drover?sslmode=verify-full", givePassword: "p@ss:w/rd",
			want: "postgres://drover:p%40ss%3Aw%2Frd@db:5432/drover?sslmode=verify-full"},
		{name: "URL with a password already: the file's wins", giveURL: "postgresql://drover:old@db/drover", givePassword: "new",
			want: "postgresql://drover:new@db/drover"},
		{name: "keyword form, quoted", giveURL: "host=db dbname=drover", givePassword: `it's a \ secret`,
			want: `host=db dbname=drover password='it\'s a \\ secret'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := databaseURL(config.Database{URL: config.DatabaseURL(tt.giveURL), Password: config.Secret(tt.givePassword)})
			if got != tt.want {
				t.Errorf("databaseURL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWorkerConns(t *testing.T) {
	tests := []struct {
		name                   string
		workers, most, maxConn int
		want                   int
	}{
		{name: "shared by the workers", workers: 4, maxConn: 16, want: 4},
		{name: "rounded down", workers: 3, maxConn: 16, want: 5},
		{name: "the adaptive maximum counts", workers: 2, most: 8, maxConn: 16, want: 2},
		{name: "at least one", workers: 32, maxConn: 16, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Server.Workers, cfg.Server.WorkersMax, cfg.Database.MaxConnections = tt.workers, tt.most, tt.maxConn
			if got := workerConns(cfg); got != tt.want {
				t.Errorf("workerConns = %d, want %d", got, tt.want)
			}
			if got := workerConns(cfg); tt.want > 1 && got*max(tt.workers, tt.most) > tt.maxConn {
				t.Errorf("%d workers × %d connections exceed the bound %d", max(tt.workers, tt.most), got, tt.maxConn)
			}
		})
	}
}
