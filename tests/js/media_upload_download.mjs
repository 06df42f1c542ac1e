// js-sdk 43's uploadContent, then the authenticated download and thumbnail its
// mxcUrlToHttp(..., useAuthentication) points at, fetched with the access token.
import { args, client, done, register } from "./harness.mjs";

const alice = client(await register(args.alice));
const bytes = Buffer.from(args.base64, "base64");
const { content_uri: contentUri } = await alice.uploadContent(new Blob([bytes]), {
    name: args.filename,
    type: args.contentType,
});
const auth = { headers: { Authorization: `Bearer ${alice.getAccessToken()}` } };

async function fetched(url, init) {
    const response = await fetch(url, init);
    return {
        url,
        status: response.status,
        contentType: response.headers.get("content-type"),
        disposition: response.headers.get("content-disposition"),
        base64: Buffer.from(await response.arrayBuffer()).toString("base64"),
    };
}

const downloadUrl = alice.mxcUrlToHttp(contentUri, undefined, undefined, undefined, false, true, true);
const thumbnailUrl = alice.mxcUrlToHttp(contentUri, 32, 32, "crop", false, true, true);
done({
    contentUri,
    download: await fetched(downloadUrl, auth),
    withoutToken: await fetched(downloadUrl),
    thumbnail: await fetched(thumbnailUrl, auth),
});
