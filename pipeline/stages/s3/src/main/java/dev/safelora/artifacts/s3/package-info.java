/**
 * The {@code s3://} artifact store on the AWS SDK for Java v2 ({@link dev.safelora.artifacts.s3.S3ArtifactStore}),
 * registered with {@link dev.safelora.artifacts.ArtifactStores#standard} through
 * {@link dev.safelora.artifacts.s3.S3StoreProvider}. Configuration: {@link dev.safelora.artifacts.s3.S3Settings#fromEnv}.
 */
package dev.safelora.artifacts.s3;
