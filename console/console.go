// Package console serves perch's web console: the assets embedded from
// assets/ and a JSON API under /_perch/console/api/ (see API.md).
package console

import "embed"

// assets are the console's page, scripts and styles, built into the
// binary so users need no separate build step.
//
//go:embed assets
var assets embed.FS
