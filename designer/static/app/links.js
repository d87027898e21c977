// Where things live in the web app: route locations for router-link :to and router.push.
export const listRoute = (app, entity, query) => ({ name: 'list', params: { app, entity }, query: query || {} });
export const recordRoute = (app, entity, id) => ({ name: 'record', params: { app, entity, id: String(id) } });
export const newRecordRoute = (app, entity) => ({ name: 'record-new', params: { app, entity } });
export const kanbanRoute = (app, entity, field) => ({ name: 'kanban', params: { app, entity, field } });
export const inboxRoute = (tab) => ({ name: 'inbox', query: tab ? { tab } : {} });
