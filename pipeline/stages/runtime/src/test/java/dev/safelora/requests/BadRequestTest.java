package dev.safelora.requests;

import static dev.safelora.requests.Requests.reader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every kind of bad request, with the exact message the user gets. */
class BadRequestTest {

    private static final String TRAINING_OK = "\"family\": \"f\", \"datasetUri\": \"file:///d\", \"requestedBy\": \"u\"";
    private static final String REGISTRATION_OK =
            "\"family\": \"f\", \"baseUri\": \"file:///b\", \"alignedUri\": \"file:///a\", \"registeredBy\": \"u\"";
    private static final String SELECTION_OK = "\"scope\": \"FAMILY\", \"target\": \"f\", \"requestedBy\": \"u\"";

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("missing value", "{\"family\": \"f\",\n  \"baseUri\": }",
                        "malformed JSON in model registration req.json at line 2, column 14: an unexpected character"),
                Arguments.of("unclosed object", "{\"family\": \"f\"",
                        "malformed JSON in model registration req.json at line 1, column 15: truncated"),
                Arguments.of("trailing garbage", "{} {}",
                        "malformed JSON in model registration req.json at line 1, column 4: content after the value"),
                Arguments.of("duplicate key", "{\"family\": \"a\", \"family\": \"b\"}",
                        "malformed JSON in model registration req.json at line 1, column 25: a duplicate key"),
                Arguments.of("single quotes", "{'family': 'a'}",
                        "malformed JSON in model registration req.json at line 1, column 2: an unexpected character"),
                // a file that is not JSON at all (a request pointed at /etc/passwd): its bytes stay out of the message
                Arguments.of("a passwd file", "root:x:0:0:root:/root:/bin/bash\n",
                        "malformed JSON in model registration req.json at line 1, column 5: an unrecognized token"),
                Arguments.of("a secret in a bare word", "{\"family\": s3cretvalue}",
                        "malformed JSON in model registration req.json at line 1, column 23: an unrecognized token"),
                Arguments.of("empty file", "", "malformed JSON in model registration req.json: the file is empty"),
                Arguments.of("only whitespace", "  \n ", "malformed JSON in model registration req.json: the file is empty"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedJsonNamesLineAndColumn(String name, String json, String message) {
        assertThatThrownBy(() -> reader().read(RequestKind.REGISTRATION, json, "req.json"))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessage(message);
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("not an object", RequestKind.TRAINING, "[1, 2]",
                        "invalid training request in req.json (4 problems): the request must be a JSON object, got an array; "
                                + "family: is required; datasetUri: is required; requestedBy: is required"),
                Arguments.of("everything missing", RequestKind.REGISTRATION, "{}",
                        "invalid model registration in req.json (4 problems): family: is required; baseUri: is required; "
                                + "alignedUri: is required; registeredBy: is required"),
                Arguments.of("wrong types", RequestKind.TRAINING,
                        "{" + TRAINING_OK + ", \"lora\": {\"r\": \"eight\", \"rsLora\": \"yes\", \"targetModules\": \"q_proj\"},"
                                + " \"optimizer\": {\"epochs\": 2.5, \"seed\": \"42\"}, \"labels\": {\"team\": 7}, \"requestedAt\": 1700000000}",
                        "invalid training request in req.json (7 problems): lora.r: expected an integer, got a string (\"eight\"); "
                                + "lora.targetModules: expected an array of strings, got a string (\"q_proj\"); "
                                + "lora.rsLora: expected true or false, got a string (\"yes\"); "
                                + "optimizer.epochs: expected an integer, got a number (2.5); "
                                + "optimizer.seed: expected an integer, got a string (\"42\"); "
                                + "requestedAt: expected a string, got an integer (1700000000); "
                                + "labels.team: expected a string, got an integer (7)"),
                Arguments.of("wrong container types", RequestKind.TRAINING,
                        "{\"datasetUri\": \"file:///d\", \"requestedBy\": \"u\", \"lora\": [8], \"optimizer\": \"fast\", \"selection\": true, \"family\": 3}",
                        "invalid training request in req.json (4 problems): family: expected a string, got an integer (3); "
                                + "lora: expected an object, got an array; optimizer: expected an object, got a string (\"fast\"); "
                                + "selection: expected an object, got true"),
                Arguments.of("unknown fields at every level", RequestKind.TRAINING,
                        "{" + TRAINING_OK + ", \"famly\": \"f\", \"lora\": {\"rank\": 8}, \"selection\": {\"mode\": \"TOP_K\", \"topK\": 2, \"k\": 2}}",
                        "invalid training request in req.json (3 problems): lora.rank: unknown field (allowed here: r, alpha, dropout, targetModules, rsLora); "
                                + "selection.k: unknown field (allowed here: mode, threshold, topK, layers, modules, remedy, subspaceRank, autoEpsilon, autoDelta); "
                                + "famly: unknown field (allowed here: requestId, family, datasetUri, evaluationSetUri, "
                                + "safetyEvaluationSetUri, lora, optimizer, selection, requestedBy, requestedAt, retrainOf, labels)"),
                Arguments.of("every hyperparameter out of range, reported together", RequestKind.TRAINING,
                        "{" + TRAINING_OK + ", \"lora\": {\"r\": 0, \"alpha\": -1.5, \"dropout\": 1.0},"
                                + " \"optimizer\": {\"learningRate\": 0, \"epochs\": 0, \"batchSize\": -4, \"gradientAccumulationSteps\": 0,"
                                + " \"maxSequenceLength\": 0, \"warmupSteps\": -1, \"weightDecay\": -0.01}}",
                        "invalid training request in req.json (10 problems): lora.r: must be > 0, got 0; lora.alpha: must be > 0, got -1.5; "
                                + "lora.dropout: must be in [0, 1), got 1.0; optimizer.learningRate: must be > 0, got 0; "
                                + "optimizer.epochs: must be > 0, got 0; optimizer.batchSize: must be > 0, got -4; "
                                + "optimizer.gradientAccumulationSteps: must be > 0, got 0; optimizer.maxSequenceLength: must be > 0, got 0; "
                                + "optimizer.warmupSteps: must be >= 0, got -1; optimizer.weightDecay: must be >= 0, got -0.01"),
                Arguments.of("numbers out of range", RequestKind.TRAINING,
                        "{" + TRAINING_OK + ", \"lora\": {\"r\": 3000000000, \"alpha\": 1e400}, \"optimizer\": {\"seed\": 99999999999999999999}}",
                        "invalid training request in req.json (3 problems): lora.r: is out of range for a 32-bit integer (got 3000000000); "
                                + "lora.alpha: must be a finite number (got Infinity); "
                                + "optimizer.seed: is out of range for a 64-bit integer (got 99999999999999999999)"),
                Arguments.of("target modules unknown, duplicated, empty", RequestKind.TRAINING,
                        "{" + TRAINING_OK + ", \"lora\": {\"targetModules\": [\"q_proj\", \"qkv_proj\", \"q_proj\", 4]}}",
                        "invalid training request in req.json (1 problem): lora.targetModules[3]: expected a string, got an integer (4)"),
                Arguments.of("target modules unknown and duplicated", RequestKind.TRAINING,
                        "{" + TRAINING_OK + ", \"lora\": {\"targetModules\": [\"q_proj\", \"qkv_proj\", \"q_proj\"]}}",
                        "invalid training request in req.json (2 problems): lora.targetModules[1]: unknown target module \"qkv_proj\" "
                                + "(known: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj); "
                                + "lora.targetModules[2]: duplicate target module \"q_proj\""),
                Arguments.of("no target modules", RequestKind.REGISTRATION, "{" + REGISTRATION_OK + ", \"targetModules\": []}",
                        "invalid model registration in req.json (1 problem): targetModules: must name at least one module "
                                + "(known: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)"),
                Arguments.of("bad ids", RequestKind.TRAINING,
                        "{\"requestId\": \"My Request\", \"family\": \"Tiny_Llama\", \"datasetUri\": \"file:///d\", \"requestedBy\": \" \","
                                + " \"retrainOf\": \"-x\"}",
                        "invalid training request in req.json (4 problems): requestId: \"My Request\" is not a valid id (a UUID, or lower-case "
                                + "letters, digits, '.', '_', '-'; starting with a letter or digit; at most 64 characters); "
                                + "family: \"Tiny_Llama\" is not a valid family name (lower-case letters, digits, '.', '_', '-'; starting with "
                                + "a letter or digit; at most 64 characters); requestedBy: must not be blank; "
                                + "retrainOf: \"-x\" is not a valid id (a UUID, or lower-case letters, digits, '.', '_', '-'; starting with a "
                                + "letter or digit; at most 64 characters)"),
                Arguments.of("family of 65 characters", RequestKind.REGISTRATION,
                        "{" + REGISTRATION_OK.replace("\"family\": \"f\"", "\"family\": \"" + "a".repeat(65) + "\"") + "}",
                        "invalid model registration in req.json (1 problem): family: \"" + "a".repeat(65) + "\" is not a valid family "
                                + "name (lower-case letters, digits, '.', '_', '-'; starting with a letter or digit; at most 64 characters)"),
                Arguments.of("bad registration id and time", RequestKind.REGISTRATION,
                        "{" + REGISTRATION_OK + ", \"registrationId\": \"1234\", \"registeredAt\": \"yesterday\"}",
                        "invalid model registration in req.json (2 problems): registrationId: \"1234\" is not a UUID (8-4-4-4-12 hexadecimal "
                                + "digits); registeredAt: expected an ISO-8601 instant such as 2026-01-31T12:00:00Z, got \"yesterday\""),
                Arguments.of("http, https, no scheme, other scheme", RequestKind.REGISTRATION,
                        "{\"family\": \"f\", \"registeredBy\": \"u\", \"baseUri\": \"https://huggingface.co/meta-llama/Llama-2-7b\","
                                + " \"alignedUri\": \"/models/chat\", \"labels\": {}}",
                        "invalid model registration in req.json (2 problems): baseUri: \"https://huggingface.co/meta-llama/Llama-2-7b\": "
                                + "https:// is not an artifact store; copy the files to a file:// volume or an s3:// bucket (plain HTTP "
                                + "cannot list a checkpoint directory, and weights are not fetched from arbitrary web servers); "
                                + "alignedUri: \"/models/chat\" has no scheme; use an absolute file:// or s3:// URI (e.g. file:///models/chat)"),
                Arguments.of("malformed URIs", RequestKind.TRAINING,
                        "{\"family\": \"f\", \"requestedBy\": \"u\", \"datasetUri\": \"ftp://host/d\", \"evaluationSetUri\": \"file://nas/share/e\","
                                + " \"safetyEvaluationSetUri\": \"file:///data/my set\"}",
                        "invalid training request in req.json (3 problems): datasetUri: \"ftp://host/d\": scheme 'ftp' is not allowed "
                                + "(allowed: file, s3); evaluationSetUri: \"file://nas/share/e\" names a remote host 'nas'; file URIs must be "
                                + "local (file:///path); safetyEvaluationSetUri: \"file:///data/my set\" is not a valid URI (Illegal character "
                                + "in path at index 15)"),
                Arguments.of("s3 URIs with user information, a port and dot segments", RequestKind.TRAINING,
                        "{\"family\": \"f\", \"requestedBy\": \"u\", \"datasetUri\": \"s3://user:pw@bucket/k\", \"evaluationSetUri\": \"s3://bucket:99/k\","
                                + " \"safetyEvaluationSetUri\": \"s3://bucket/a/../../b\"}",
                        "invalid training request in req.json (3 problems): datasetUri: 's3://***@bucket/k' carries user information; S3 "
                                + "credentials come from the environment (the AWS default credentials chain), never from a URI; "
                                + "evaluationSetUri: 's3://bucket:99/k' names a port; an s3:// URI names a bucket, the endpoint is configured "
                                + "(AWS_ENDPOINT_URL_S3); safetyEvaluationSetUri: 's3://bucket/a/../../b' has a dot segment ('..'); give the key "
                                + "without . or .. parts"),
                Arguments.of("s3 URIs with a query, a fragment and an encoded dot segment", RequestKind.TRAINING,
                        "{\"family\": \"f\", \"requestedBy\": \"u\", \"datasetUri\": \"s3://bucket/k?versionId=1\", \"evaluationSetUri\": \"s3://bucket/k#x\","
                                + " \"safetyEvaluationSetUri\": \"s3://bucket/a/%2e%2e/b\"}",
                        "invalid training request in req.json (3 problems): datasetUri: 's3://bucket/k?versionId=1' has a query ('?...'); "
                                + "s3:// artifact URIs have none; evaluationSetUri: 's3://bucket/k#x' has a fragment ('#...'); s3:// artifact URIs "
                                + "have none; safetyEvaluationSetUri: 's3://bucket/a/%2e%2e/b' has a dot segment ('%2e%2e'); give the key "
                                + "without . or .. parts"),
                Arguments.of("incomplete URIs", RequestKind.REGISTRATION,
                        "{\"family\": \"f\", \"registeredBy\": \"u\", \"baseUri\": \"s3://bucket\", \"alignedUri\": \"file:relative/chat\"}",
                        "invalid model registration in req.json (2 problems): baseUri: \"s3://bucket\" has no key after the bucket "
                                + "(use s3://bucket/key); alignedUri: \"file:relative/chat\" is not an absolute file URI (use file:///absolute/path)"),
                Arguments.of("same base and aligned checkpoint", RequestKind.REGISTRATION,
                        "{\"family\": \"f\", \"registeredBy\": \"u\", \"baseUri\": \"s3://models/x\", \"alignedUri\": \"s3://models/x\"}",
                        "invalid model registration in req.json (1 problem): alignedUri: is the same checkpoint as baseUri; the alignment "
                                + "W_aligned - W_base would be zero"),
                Arguments.of("threshold outside [-1, 1]", RequestKind.SELECTION,
                        "{" + SELECTION_OK + ", \"policy\": {\"mode\": \"THRESHOLD\", \"threshold\": 1.5}}",
                        "invalid layer selection in req.json (1 problem): policy.threshold: must be in [-1, 1] (a cosine), got 1.5"),
                Arguments.of("TOP_K without K", RequestKind.SELECTION,
                        "{" + SELECTION_OK + ", \"policy\": {\"mode\": \"TOP_K\"}}",
                        "invalid layer selection in req.json (1 problem): policy.topK: is required for mode TOP_K (the number of modules to project)"),
                Arguments.of("TOP_K with K = 0 and a threshold", RequestKind.SELECTION,
                        "{" + SELECTION_OK + ", \"policy\": {\"mode\": \"TOP_K\", \"topK\": 0, \"threshold\": 0.2}}",
                        "invalid layer selection in req.json (2 problems): policy.threshold: does not apply to mode TOP_K (TOP_K takes only "
                                + "topK); policy.topK: must be > 0, got 0"),
                Arguments.of("EXPLICIT with nothing listed", RequestKind.SELECTION,
                        "{" + SELECTION_OK + ", \"policy\": {\"mode\": \"EXPLICIT\", \"layers\": []}}",
                        "invalid layer selection in req.json (1 problem): policy.layers: mode EXPLICIT needs a non-empty list of layers and/or modules"),
                Arguments.of("EXPLICIT with bad layers and modules", RequestKind.SELECTION,
                        "{" + SELECTION_OK + ", \"policy\": {\"mode\": \"EXPLICIT\", \"layers\": [2, -1, 2],"
                                + " \"modules\": [\"model.layers.0.mlp.fc1\", \"model layers\", \"model.layers.1.self_attn.q_proj\", \"model.layers.1.self_attn.q_proj\"]}}",
                        "invalid layer selection in req.json (5 problems): policy.layers[1]: layer index must be >= 0, got -1; "
                                + "policy.layers[2]: duplicate layer 2; policy.modules[0]: \"model.layers.0.mlp.fc1\" does not end in a known "
                                + "target module (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj); policy.modules[1]: "
                                + "\"model layers\" is not a module name (dot-separated, e.g. model.layers.3.self_attn.q_proj); "
                                + "policy.modules[3]: duplicate module \"model.layers.1.self_attn.q_proj\""),
                Arguments.of("THRESHOLD with a K", RequestKind.TRAINING,
                        "{" + TRAINING_OK + ", \"selection\": {\"mode\": \"THRESHOLD\", \"topK\": 3}}",
                        "invalid training request in req.json (1 problem): selection.topK: does not apply to mode THRESHOLD (THRESHOLD takes only threshold)"),
                Arguments.of("unknown and missing mode", RequestKind.SELECTION,
                        "{\"scope\": \"family\", \"target\": \"f\", \"requestedBy\": \"u\", \"policy\": {\"threshold\": 0.1}}",
                        "invalid layer selection in req.json (2 problems): scope: unknown value \"family\" (expected one of FAMILY, ADAPTER); "
                                + "policy.mode: is required (THRESHOLD, TOP_K, EXPLICIT or AUTO)"),
                Arguments.of("mode spelled wrong", RequestKind.SELECTION,
                        "{" + SELECTION_OK + ", \"policy\": {\"mode\": \"top-k\", \"topK\": 2}}",
                        "invalid layer selection in req.json (1 problem): policy.mode: unknown value \"top-k\" (expected one of THRESHOLD, TOP_K, EXPLICIT, AUTO)"),
                Arguments.of("selection without scope and policy", RequestKind.SELECTION,
                        "{\"target\": \"f\", \"requestedBy\": \"u\"}",
                        "invalid layer selection in req.json (2 problems): scope: is required (FAMILY or ADAPTER); "
                                + "policy: is required, e.g. {\"mode\": \"THRESHOLD\", \"threshold\": 0.5}"),
                Arguments.of("adapter target that is no id", RequestKind.SELECTION,
                        "{\"scope\": \"ADAPTER\", \"target\": \"adapter #1\", \"requestedBy\": \"u\", \"policy\": {\"mode\": \"TOP_K\", \"topK\": 1}}",
                        "invalid layer selection in req.json (1 problem): target: \"adapter #1\" is not a valid id (a UUID, or lower-case letters, "
                                + "digits, '.', '_', '-'; starting with a letter or digit; at most 64 characters)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidRequestsListEveryProblemInOneMessage(String name, RequestKind kind, String json, String message) {
        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class, () -> reader().read(kind, json, "req.json"));
        assertThat(e).as("expected a rejection").isNotNull();
        assertThat(e.getMessage()).isEqualTo(message);
        assertThat(e.problems()).hasSize(Integer.parseInt(message.replaceAll(".*? \\((\\d+) problems?\\).*", "$1")));
    }

    @Test
    void missingFileDirectoryAndHugeFileAreNamed(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("nope.json");
        assertThatThrownBy(() -> reader().read(RequestKind.TRAINING, missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read request file " + missing + ": no such file");
        assertThatThrownBy(() -> reader().read(RequestKind.TRAINING, dir))
                .hasMessage("cannot read request file " + dir + ": it is a directory");
        Path huge = dir.resolve("huge.json");
        Files.write(huge, new byte[RequestReader.MAX_REQUEST_BYTES + 1]);
        assertThatThrownBy(() -> reader().read(RequestKind.TRAINING, huge))
                .hasMessage("request file " + huge + " is larger than 1048576 bytes; a request is a small JSON document");
    }

    @Test
    void invalidUtf8IsMalformedJson(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("latin1.json");
        Files.write(file, new byte[] {'{', '"', 'f', (byte) 0xE9, '"', ':', '1', '}'});
        assertThatThrownBy(() -> reader().read(RequestKind.TRAINING, file))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessage("malformed JSON in training request " + file + " at line 1, column 4: not UTF-8 text (invalid byte 0xe9)");
        Path secondLine = dir.resolve("second-line.json");
        Files.write(secondLine, new byte[] {'{', '\n', ' ', '"', (byte) 0xC3, '"', ':', '1', '}'});
        assertThatThrownBy(() -> reader().read(RequestKind.TRAINING, secondLine))
                .hasMessage("malformed JSON in training request " + secondLine + " at line 2, column 3: not UTF-8 text (invalid byte 0xc3)");
    }

    @Test
    void hostileArtifactUrisAreRefusedWithTheRuleTheyBreakAndNoPassword() {
        java.util.Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("s3://user:pw@bucket/k", "carries user information");
        cases.put("s3://bucket:99/k", "names a port");
        cases.put("s3://bucket/a/../../b", "has a dot segment");
        cases.put("s3://bucket/k?versionId=1", "has a query");
        cases.put("s3://bucket/k#frag", "has a fragment");
        cases.put("file:///var/%2e%2e/etc/passwd", "has a dot segment");
        cases.put("file:///data/a%2fb", "encoded separator");
        cases.forEach((uri, rule) -> assertThatThrownBy(() -> reader().read(RequestKind.TRAINING,
                "{\"family\": \"f\", \"requestedBy\": \"u\", \"datasetUri\": \"" + uri + "\"}", "req.json"))
                .as(uri).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("datasetUri: ").hasMessageContaining(rule).hasMessageNotContaining("pw@"));
    }
}
