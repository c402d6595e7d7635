/**
 * Where the write-only `hf_token` of a deploy (its schema: contract/requests/deploy.ts) is kept.
 * The API stores it in Secrets Manager as `<prefix>/hf-token/<deployment id>`
 * (infra/constructs/secrets.ts owns the prefix); the record and the workflows carry only that
 * secret's ARN. Pure.
 */
export const hfTokenSecretName = (namePrefix: string, deploymentId: string): string => `${namePrefix}${deploymentId}`;

/** The key of the token in the Kubernetes Secret, and the variable the model server reads. */
export const HF_TOKEN_ENV = 'HF_TOKEN';
