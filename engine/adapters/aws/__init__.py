"""AWS through boto3: RDS, CloudWatch, S3, Route 53, EKS node groups, Secrets Manager; botocore
errors mapped to ours."""
