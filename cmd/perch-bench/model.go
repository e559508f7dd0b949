package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	ptypes "github.com/aws/aws-sdk-go-v2/service/personalize/types"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/bulkcsv"
	"github.com/perchdev/perch/loadgen"
	"github.com/perchdev/perch/recipe"
)

// modelConfig is the model --prepare makes sure of, and the data it is
// trained on: recipe.Synthetic's, so that a run can name the users it
// holds without asking the server.
type modelConfig struct {
	group        string
	s3Root       string
	recipe       string
	users, items int
	interactions int
	seed         uint64
}

func (c modelConfig) synthetic() *recipe.SyntheticData {
	return recipe.Synthetic(recipe.DefaultSynthetic(c.users, c.items, c.interactions, c.seed))
}

// The names --prepare gives what it makes in the group, so that a second
// --prepare finds them rather than training again. The import job's name
// says which data it imported, so that a --prepare of other --model-*
// values refuses the group rather than measure a model its users do not
// match.
func (c modelConfig) importJob() string {
	return fmt.Sprintf("%s-import-%du-%di-%dx-s%d", c.group, c.users, c.items, c.interactions, c.seed)
}
func (c modelConfig) solution() string { return c.group + "-" + c.recipe }
func (c modelConfig) campaign() string { return c.group + "-campaign" }

// s3Bucket is the bucket, a directory of --s3-root, that --prepare writes
// its CSV to.
const s3Bucket = "perch-bench"

// Prepared is what --prepare made sure of, and what it took.
type Prepared struct {
	DatasetGroupARN     string `json:"datasetGroupArn"`
	TrackingID          string `json:"trackingId"`
	InteractionsDataset string `json:"interactionsDataset"`
	Users               int    `json:"users"`
	Items               int    `json:"items"`
	Interactions        int    `json:"interactions"`

	ImportJobARN string `json:"importJobArn"`
	// ImportSeconds is the import job's time from its creation to ACTIVE
	// as polled; 0 when an earlier --prepare imported the data.
	ImportSeconds float64 `json:"importSeconds"`

	SolutionARN        string `json:"solutionArn"`
	SolutionVersionARN string `json:"solutionVersionArn"`
	// TrainingHours is the version's training time as the server reports
	// it (DescribeSolutionVersion); TrainingSeconds the time from its
	// creation to ACTIVE as polled, 0 when it was trained before.
	TrainingHours   float64 `json:"trainingHours"`
	TrainingSeconds float64 `json:"trainingSeconds"`

	CampaignARN string `json:"campaignArn"`
}

// pollEvery is how often --prepare asks whether a job has finished.
const pollEvery = 200 * time.Millisecond

// prepare makes sure that the group, whose datasets and tracker
// loadgen.Setup made sure of, has c's interactions imported, a version of
// c's recipe trained on them and a campaign serving it, creating whatever
// is missing.
func prepare(ctx context.Context, endpoint string, creds loadgen.Credentials, c modelConfig, res *loadgen.Resources, log io.Writer) (*Prepared, error) {
	p := &Prepared{
		DatasetGroupARN: res.DatasetGroupARN, TrackingID: res.TrackingID, InteractionsDataset: res.InteractionsDataset,
		Users: c.users, Items: c.items, Interactions: c.interactions,
	}
	cl := controlPlane(endpoint, creds)
	if err := importData(ctx, cl, c, p, log); err != nil {
		return nil, err
	}
	if err := train(ctx, cl, c, p, log); err != nil {
		return nil, err
	}
	if err := ensureCampaign(ctx, cl, c, p); err != nil {
		return nil, err
	}
	return p, nil
}

func controlPlane(endpoint string, creds loadgen.Credentials) *personalize.Client {
	return personalize.New(personalize.Options{
		Region:       creds.Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey}, nil
		}),
	})
}

// importData loads c's interactions into the group's Interactions dataset
// through an import job, unless one of that name has already.
func importData(ctx context.Context, cl *personalize.Client, c modelConfig, p *Prepared, log io.Writer) error {
	jobs, err := listAll(ctx, personalize.NewListDatasetImportJobsPaginator(cl, &personalize.ListDatasetImportJobsInput{DatasetArn: &p.InteractionsDataset}),
		func(o *personalize.ListDatasetImportJobsOutput) []ptypes.DatasetImportJobSummary {
			return o.DatasetImportJobs
		})
	if err != nil {
		return fmt.Errorf("listing import jobs: %w", err)
	}
	for _, j := range jobs {
		if name := aws.ToString(j.JobName); name != c.importJob() && strings.HasPrefix(name, c.group+"-import-") {
			return fmt.Errorf("group %s holds the data of import job %s, not %s: give another --group", c.group, name, c.importJob())
		}
	}
	for _, j := range jobs {
		if aws.ToString(j.JobName) == c.importJob() {
			p.ImportJobARN = aws.ToString(j.DatasetImportJobArn)
			_, err := waitActive(ctx, "import job "+p.ImportJobARN, func() (string, string, error) {
				out, err := cl.DescribeDatasetImportJob(ctx, &personalize.DescribeDatasetImportJobInput{DatasetImportJobArn: &p.ImportJobARN})
				if err != nil {
					return "", "", err
				}
				return aws.ToString(out.DatasetImportJob.Status), aws.ToString(out.DatasetImportJob.FailureReason), nil
			})
			return err
		}
	}
	if c.s3Root == "" {
		return fmt.Errorf("--prepare writes its interactions under perch serve's --s3-root: give the same directory as --s3-root")
	}
	key := c.group + "-interactions.csv"
	fmt.Fprintf(log, "perch-bench: writing %d synthetic interactions (%d users, %d items) to s3://%s/%s\n",
		c.interactions, c.users, c.items, s3Bucket, key)
	if err := writeInteractions(filepath.Join(c.s3Root, s3Bucket, key), c.synthetic()); err != nil {
		return err
	}
	location := "s3://" + s3Bucket + "/" + key
	out, err := cl.CreateDatasetImportJob(ctx, &personalize.CreateDatasetImportJobInput{
		JobName: aws.String(c.importJob()), DatasetArn: &p.InteractionsDataset,
		DataSource: &ptypes.DataSource{DataLocation: &location}, ImportMode: ptypes.ImportModeFull,
	})
	if err != nil {
		return fmt.Errorf("creating the import job: %w", err)
	}
	p.ImportJobARN = aws.ToString(out.DatasetImportJobArn)
	p.ImportSeconds, err = waitActive(ctx, "import job "+p.ImportJobARN, func() (string, string, error) {
		out, err := cl.DescribeDatasetImportJob(ctx, &personalize.DescribeDatasetImportJobInput{DatasetImportJobArn: &p.ImportJobARN})
		if err != nil {
			return "", "", err
		}
		return aws.ToString(out.DatasetImportJob.Status), aws.ToString(out.DatasetImportJob.FailureReason), nil
	})
	if err == nil {
		fmt.Fprintf(log, "perch-bench: imported in %.1f s\n", p.ImportSeconds)
	}
	return err
}

// interactionFields are the columns --prepare imports, of the
// Interactions schema loadgen.Setup gives the group; the others are
// nullable and left out.
var interactionFields = []perch.Field{
	{Name: "USER_ID", Textual: true}, {Name: "ITEM_ID", Textual: true}, {Name: "TIMESTAMP"},
	{Name: "EVENT_TYPE", Textual: true}, {Name: "EVENT_VALUE"},
}

// writeInteractions writes d's interactions as bulk CSV to path, whole or
// not at all: perch may list the folder meanwhile.
func writeInteractions(path string, d *recipe.SyntheticData) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".interactions-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bulkcsv.NewWriter(f, interactionFields)
	if err := w.WriteHeader(); err != nil {
		return err
	}
	row := make([]perch.Cell, len(interactionFields))
	for _, in := range d.Interactions {
		row[0] = perch.Cell{Text: d.Users[in.User]}
		row[1] = perch.Cell{Text: d.Items[in.Item]}
		// The schema's TIMESTAMP is in seconds.
		row[2] = perch.Cell{Text: strconv.FormatInt(in.Time/1000, 10)}
		row[3] = perch.Cell{Text: in.EventType}
		row[4] = perch.Cell{Null: true}
		if !math.IsNaN(float64(in.Value)) {
			row[4] = perch.Cell{Text: strconv.FormatFloat(float64(in.Value), 'g', -1, 32)}
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// train makes sure of a solution of c's recipe, without auto-training (a
// training started by the schedule would share the CPUs with the run),
// and of an ACTIVE version of it.
func train(ctx context.Context, cl *personalize.Client, c modelConfig, p *Prepared, log io.Writer) error {
	sols, err := listAll(ctx, personalize.NewListSolutionsPaginator(cl, &personalize.ListSolutionsInput{DatasetGroupArn: &p.DatasetGroupARN}),
		func(o *personalize.ListSolutionsOutput) []ptypes.SolutionSummary { return o.Solutions })
	if err != nil {
		return fmt.Errorf("listing solutions: %w", err)
	}
	for _, s := range sols {
		if aws.ToString(s.Name) == c.solution() {
			p.SolutionARN = aws.ToString(s.SolutionArn)
		}
	}
	if p.SolutionARN == "" {
		out, err := cl.CreateSolution(ctx, &personalize.CreateSolutionInput{
			Name: aws.String(c.solution()), DatasetGroupArn: &p.DatasetGroupARN,
			RecipeArn: aws.String("arn:aws:personalize:::recipe/" + c.recipe), PerformAutoTraining: aws.Bool(false),
		})
		if err != nil {
			return fmt.Errorf("creating the solution: %w", err)
		}
		p.SolutionARN = aws.ToString(out.SolutionArn)
	}
	versions, err := listAll(ctx, personalize.NewListSolutionVersionsPaginator(cl, &personalize.ListSolutionVersionsInput{SolutionArn: &p.SolutionARN}),
		func(o *personalize.ListSolutionVersionsOutput) []ptypes.SolutionVersionSummary {
			return o.SolutionVersions
		})
	if err != nil {
		return fmt.Errorf("listing solution versions: %w", err)
	}
	var newest time.Time
	for _, v := range versions {
		// A failed or stopped version is no use; the newest other one is
		// waited for.
		switch aws.ToString(v.Status) {
		case perch.StatusCreateFailed, perch.StatusCreateStopped, perch.StatusCreateStopping:
			continue
		}
		if t := aws.ToTime(v.CreationDateTime); p.SolutionVersionARN == "" || t.After(newest) {
			p.SolutionVersionARN, newest = aws.ToString(v.SolutionVersionArn), t
		}
	}
	created := p.SolutionVersionARN == ""
	if created {
		out, err := cl.CreateSolutionVersion(ctx, &personalize.CreateSolutionVersionInput{SolutionArn: &p.SolutionARN})
		if err != nil {
			return fmt.Errorf("creating a solution version: %w", err)
		}
		p.SolutionVersionARN = aws.ToString(out.SolutionVersionArn)
		fmt.Fprintf(log, "perch-bench: training %s\n", p.SolutionVersionARN)
	}
	var hours *float64
	waited, err := waitActive(ctx, "solution version "+p.SolutionVersionARN, func() (string, string, error) {
		out, err := cl.DescribeSolutionVersion(ctx, &personalize.DescribeSolutionVersionInput{SolutionVersionArn: &p.SolutionVersionARN})
		if err != nil {
			return "", "", err
		}
		hours = out.SolutionVersion.TrainingHours
		return aws.ToString(out.SolutionVersion.Status), aws.ToString(out.SolutionVersion.FailureReason), nil
	})
	if err != nil {
		return err
	}
	if created {
		p.TrainingSeconds = waited
	}
	p.TrainingHours = aws.ToFloat64(hours)
	fmt.Fprintf(log, "perch-bench: %s ACTIVE, trainingHours %g (%.1f s)\n", p.SolutionVersionARN, p.TrainingHours, p.TrainingHours*3600)
	return nil
}

// ensureCampaign makes sure of a campaign serving p's version.
func ensureCampaign(ctx context.Context, cl *personalize.Client, c modelConfig, p *Prepared) error {
	campaigns, err := listAll(ctx, personalize.NewListCampaignsPaginator(cl, &personalize.ListCampaignsInput{SolutionArn: &p.SolutionARN}),
		func(o *personalize.ListCampaignsOutput) []ptypes.CampaignSummary { return o.Campaigns })
	if err != nil {
		return fmt.Errorf("listing campaigns: %w", err)
	}
	for _, cp := range campaigns {
		if aws.ToString(cp.Name) == c.campaign() {
			p.CampaignARN = aws.ToString(cp.CampaignArn)
		}
	}
	if p.CampaignARN == "" {
		out, err := cl.CreateCampaign(ctx, &personalize.CreateCampaignInput{
			Name: aws.String(c.campaign()), SolutionVersionArn: &p.SolutionVersionARN, MinProvisionedTPS: aws.Int32(1),
		})
		if err != nil {
			return fmt.Errorf("creating the campaign: %w", err)
		}
		p.CampaignARN = aws.ToString(out.CampaignArn)
	} else {
		// A campaign found from an earlier --prepare must serve this
		// version, or the run would measure another model.
		out, err := cl.DescribeCampaign(ctx, &personalize.DescribeCampaignInput{CampaignArn: &p.CampaignARN})
		if err != nil {
			return fmt.Errorf("describing campaign %s: %w", p.CampaignARN, err)
		}
		if aws.ToString(out.Campaign.SolutionVersionArn) != p.SolutionVersionARN {
			if _, err := cl.UpdateCampaign(ctx, &personalize.UpdateCampaignInput{CampaignArn: &p.CampaignARN, SolutionVersionArn: &p.SolutionVersionARN}); err != nil {
				return fmt.Errorf("pointing campaign %s at %s: %w", p.CampaignARN, p.SolutionVersionARN, err)
			}
		}
	}
	_, err = waitActive(ctx, "campaign "+p.CampaignARN, func() (string, string, error) {
		out, err := cl.DescribeCampaign(ctx, &personalize.DescribeCampaignInput{CampaignArn: &p.CampaignARN})
		if err != nil {
			return "", "", err
		}
		return aws.ToString(out.Campaign.Status), aws.ToString(out.Campaign.FailureReason), nil
	})
	return err
}

// waitActive polls status until it says ACTIVE, and returns the seconds it
// waited; a failed status is an error with its reason.
func waitActive(ctx context.Context, what string, status func() (status, reason string, err error)) (float64, error) {
	start := time.Now()
	for {
		s, reason, err := status()
		if err != nil {
			return 0, fmt.Errorf("describing %s: %w", what, err)
		}
		switch s {
		case perch.StatusActive:
			return time.Since(start).Seconds(), nil
		case perch.StatusCreateFailed, perch.StatusCreateStopped:
			return 0, fmt.Errorf("%s: %s: %s", what, s, reason)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("waiting for %s (%s): %w", what, s, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// pager is the shape of the SDK's list paginators.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*personalize.Options)) (O, error)
}

func listAll[O, T any](ctx context.Context, p pager[O], items func(O) []T) ([]T, error) {
	var all []T
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, items(page)...)
	}
	return all, nil
}
