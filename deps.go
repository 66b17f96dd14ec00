//go:build deps

// Package main pins the modules the project is built from until the packages that use them land.
package main

import (
	_ "github.com/google/uuid"
	_ "github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3"
	_ "github.com/nyaruka/phonenumbers"
	_ "github.com/percipia/eslgo"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/robfig/cron/v3"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/viper"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/sync/errgroup"
)

func main() {}
