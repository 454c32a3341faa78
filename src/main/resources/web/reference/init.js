// The API reference page: Swagger UI over the description this instance serves (GET /openapi,
// relative so the page works under any path prefix). validatorUrl null: Swagger UI would
// otherwise load a badge from validator.swagger.io, which the page's CSP refuses anyway.
window.ui = window.SwaggerUIBundle({
  url: new URL('openapi', document.baseURI).href,
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
