// Package web holds Slipway's web console for platform-api to serve: the Vite build output
// (dist/console, written by `make console`) embedded at compile time, or, when the console was
// not built, a placeholder page that says how to build it. `go build ./...` needs no Node.js.
package web

import (
	"embed"
	"io/fs"
)

// dist holds whatever `npm run build` left in dist/ (only dist/.gitkeep in a fresh clone).
//
//go:embed all:dist
var dist embed.FS

//go:embed placeholder.html
var placeholder []byte

// Console returns the built console's files (index.html at the root, hashed files under
// assets/) and true, or nil and false when the console was not built into this binary.
func Console() (fs.FS, bool) {
	sub, err := fs.Sub(dist, "dist/console")
	if err != nil {
		return nil, false
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return nil, false
	}
	return sub, true
}

// Placeholder is the page served in place of the console when it was not built.
func Placeholder() []byte { return placeholder }
