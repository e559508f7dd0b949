export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1
EP=http://127.0.0.1:8080

# History to learn from: 3,000 clicks of 200 users on 100 movies in five
# genres, item-G-N. User u clicks genre u % 5 nine times in ten, and the
# low numbers of a genre most.
mkdir -p s3/movies
awk 'BEGIN {
  srand(1); print "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE"
  for (i = 0; i < 3000; i++) {
    u = i % 200; g = rand() < 0.9 ? u % 5 : int(rand() * 5)
    printf "user-%d,item-%d-%d,%d,click\n", u, g, int(20 * rand() * rand()), 1700000000 + i
  }
}' > s3/movies/clicks.csv

# Polls a Describe command until what it describes is ACTIVE.
wait_active() {
  while :; do
    STATUS=$(aws personalize "$@" --endpoint-url $EP --query '*.status' --output text) || return 1
    echo "$STATUS"
    case $STATUS in ACTIVE) return 0 ;; *FAILED) return 1 ;; esac
    sleep 1
  done
}

SCHEMA=$(aws personalize create-schema --endpoint-url $EP --name movies-clicks \
  --query schemaArn --output text --schema '{
    "type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
    "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
               {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_TYPE", "type": "string"}],
    "version": "1.0"}')
GROUP=$(aws personalize create-dataset-group --endpoint-url $EP --name movies \
  --query datasetGroupArn --output text)
DATASET=$(aws personalize create-dataset --endpoint-url $EP --name movies-clicks \
  --dataset-type Interactions --dataset-group-arn $GROUP --schema-arn $SCHEMA \
  --query datasetArn --output text)
TRACKING_ID=$(aws personalize create-event-tracker --endpoint-url $EP --name movies-site \
  --dataset-group-arn $GROUP --query trackingId --output text)

JOB=$(aws personalize create-dataset-import-job --endpoint-url $EP --job-name movies-history \
  --dataset-arn $DATASET --data-source dataLocation=s3://movies/clicks.csv \
  --role-arn arn:aws:iam::000000000000:role/PersonalizeS3 \
  --query datasetImportJobArn --output text)
wait_active describe-dataset-import-job --dataset-import-job-arn $JOB

# Train a model of what each user will click next, and serve it.
SOLUTION=$(aws personalize create-solution --endpoint-url $EP --name movies-for-you \
  --dataset-group-arn $GROUP --recipe-arn arn:aws:personalize:::recipe/aws-user-personalization-v2 \
  --query solutionArn --output text)
VERSION=$(aws personalize create-solution-version --endpoint-url $EP \
  --solution-arn $SOLUTION --query solutionVersionArn --output text)
wait_active describe-solution-version --solution-version-arn $VERSION
aws personalize get-solution-metrics --endpoint-url $EP --solution-version-arn $VERSION
CAMPAIGN=$(aws personalize create-campaign --endpoint-url $EP --name movies-for-you \
  --solution-version-arn $VERSION --query campaignArn --output text)
wait_active describe-campaign --campaign-arn $CAMPAIGN

# user-7 mostly clicked genre 2.
aws personalize-runtime get-recommendations --endpoint-url $EP \
  --campaign-arn $CAMPAIGN --user-id user-7 --num-results 5

# A visitor the model has never seen clicks three genre-3 movies; its
# next recommendations are genre 3.
aws personalize-events put-events --endpoint-url $EP --tracking-id $TRACKING_ID \
  --user-id visitor-1 --session-id visit-1 --event-list \
  eventType=click,itemId=item-3-0,sentAt=1700003000 \
  eventType=click,itemId=item-3-1,sentAt=1700003010 \
  eventType=click,itemId=item-3-2,sentAt=1700003020
aws personalize-runtime get-recommendations --endpoint-url $EP \
  --campaign-arn $CAMPAIGN --user-id visitor-1 --num-results 5

# Ranking a list of your own takes a solution of a ranking recipe.
RANKING_SOLUTION=$(aws personalize create-solution --endpoint-url $EP --name movies-ranking \
  --dataset-group-arn $GROUP --recipe-arn arn:aws:personalize:::recipe/aws-personalized-ranking-v2 \
  --query solutionArn --output text)
RANKING_VERSION=$(aws personalize create-solution-version --endpoint-url $EP \
  --solution-arn $RANKING_SOLUTION --query solutionVersionArn --output text)
wait_active describe-solution-version --solution-version-arn $RANKING_VERSION
RANKING=$(aws personalize create-campaign --endpoint-url $EP --name movies-ranking \
  --solution-version-arn $RANKING_VERSION --query campaignArn --output text)
wait_active describe-campaign --campaign-arn $RANKING
aws personalize-runtime get-personalized-ranking --endpoint-url $EP \
  --campaign-arn $RANKING --user-id visitor-1 --input-list item-0-3 item-3-3 item-1-3 item-3-4

# Recommendations for many users at once: a batch inference job reads
# JSON Lines from s3:// and writes each file's answers to <file>.out.
mkdir -p s3/movies/batch
printf '{"userId": "user-7"}\n{"userId": "visitor-1"}\n' > s3/movies/batch/users.json
BATCH=$(aws personalize create-batch-inference-job --endpoint-url $EP --job-name movies-batch \
  --solution-version-arn $VERSION --num-results 5 \
  --job-input s3DataSource={path=s3://movies/batch/users.json} \
  --job-output s3DataDestination={path=s3://movies/batch-out/} \
  --role-arn arn:aws:iam::000000000000:role/PersonalizeS3 \
  --query batchInferenceJobArn --output text)
wait_active describe-batch-inference-job --batch-inference-job-arn $BATCH
cat s3/movies/batch-out/users.json.out
