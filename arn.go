package perch

import (
	"strings"
)

// ARN is an Amazon Resource Name split into its parts.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	Resource  string // e.g. "dataset-group/name" or "dataset/group/INTERACTIONS"
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// ParseARN splits s into its parts. It reports false when s does not have
// the six colon-separated parts of an ARN.
func ParseARN(s string) (ARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ARN{}, false
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, true
}

// Resource kinds as they appear in the resource part of Personalize ARNs.
const (
	KindSchema       = "schema"
	KindDatasetGroup = "dataset-group"
	KindDataset      = "dataset"
	KindEventTracker = "event-tracker"
)

// Region and account of the resources this server creates.
type Scope struct {
	Region  string
	Account string
}

func (s Scope) arn(resource string) string {
	return ARN{Partition: "aws", Service: "personalize", Region: s.Region, Account: s.Account, Resource: resource}.String()
}

// SchemaARN is arn:aws:personalize:REGION:ACCOUNT:schema/NAME.
func (s Scope) SchemaARN(name string) string { return s.arn(KindSchema + "/" + name) }

// DatasetGroupARN is arn:aws:personalize:REGION:ACCOUNT:dataset-group/NAME.
func (s Scope) DatasetGroupARN(name string) string { return s.arn(KindDatasetGroup + "/" + name) }

// DatasetARN names a dataset by its group's name and its type, as AWS does:
// arn:aws:personalize:REGION:ACCOUNT:dataset/GROUP/INTERACTIONS. The
// dataset's own name does not appear.
func (s Scope) DatasetARN(groupName string, t DatasetType) string {
	return s.arn(KindDataset + "/" + groupName + "/" + string(t))
}

// EventTrackerARN is arn:aws:personalize:REGION:ACCOUNT:event-tracker/ID,
// with the short hexadecimal id real trackers carry.
func (s Scope) EventTrackerARN(id string) string { return s.arn(KindEventTracker + "/" + id) }

// Owns reports whether arn names a resource of this region and account.
func (s Scope) Owns(arn string) bool { return strings.HasPrefix(arn, s.arn("")) }
