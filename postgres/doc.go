// Package postgres is perch's store on PostgreSQL (15 or later), which
// several perch processes share: a perch.Store whose Resources are a
// perch.SharedResources. The database holds resources and records and
// applies the rules between resources in each change's transaction;
// records are written by one group-committing writer per store, with
// eventId duplicates decided as they are written (a first-seen table), so
// that nodes committing at once agree on which record is the original.
//
// README.md beside this file describes the tables and indexes, the write
// path, the rules' transactions and what happens while the database is
// unavailable.
package postgres
