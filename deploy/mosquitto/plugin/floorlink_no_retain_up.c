/* FloorLink broker plugin: refuse retained publishes on the devices' upward topics.
 *
 * Why: a device's ACL lets it publish on floorlink/v1/{site}/up/{device_id}/#, and Mosquitto's ACL
 * grants topics, not the retain flag. A retained event there would be handed to the hub again on
 * every (re)subscribe; "retain_available false" would also switch off the retained down/ and state/
 * messages FloorLink needs. This plugin refuses a retained PUBLISH on matching topics (MQTT 5:
 * PUBACK "not authorized"; the message is neither delivered nor kept), and a retained Last Will there
 * (never published), and lets everything else through to the password and ACL checks unchanged.
 * It is an ACL check (MOSQ_EVT_ACL_CHECK, which carries the retain flag) rather than a message
 * callback because the broker publishes a Last Will without a PUBLISH: MOSQ_EVT_MESSAGE never sees it.
 * An empty retained publish is let through: it keeps nothing, it only deletes a kept copy (one left
 * from before the plugin was loaded; the hub clears what it is handed, mosquitto_pub -r -n too).
 *
 * Mosquitto 2.0 plugin API version 5. Options (mosquitto.conf):
 *     plugin /usr/lib/floorlink/floorlink_no_retain_up.so
 *     plugin_opt_up_topic floorlink/v1/+/up/#     (the default; several filters: separate by spaces)
 * Build: make -C deploy/mosquitto/plugin   (needs gcc and Debian's mosquitto-dev)
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#define DEFAULT_FILTER "floorlink/v1/+/up/#"
#define MAX_FILTERS 16

struct filters {
    int count;
    char *topic[MAX_FILTERS];
};

static mosquitto_plugin_id_t *plugin_id;
static struct filters filters;

static bool refused(const char *topic)
{
    for (int i = 0; i < filters.count; i++) {
        bool match = false;
        if (mosquitto_topic_matches_sub(filters.topic[i], topic, &match) == MOSQ_ERR_SUCCESS && match) {
            return true;
        }
    }
    return false;
}

static int on_acl_check(int event, void *event_data, void *userdata)
{
    struct mosquitto_evt_acl_check *acl = event_data;
    (void)event;
    (void)userdata;
    if (acl->access == MOSQ_ACL_WRITE && acl->retain && acl->payloadlen > 0 && acl->topic != NULL
        && refused(acl->topic)) {
        mosquitto_log_printf(MOSQ_LOG_NOTICE, "floorlink: refused a retained publish from %s on %s",
                             mosquitto_client_id(acl->client), acl->topic);
        return MOSQ_ERR_ACL_DENIED;
    }
    return MOSQ_ERR_PLUGIN_DEFER;  /* the password file and acl_file decide */
}

static void add_filters(const char *value)
{
    char *copy = strdup(value);
    char *save = NULL;
    if (copy == NULL) {
        return;
    }
    for (char *part = strtok_r(copy, " \t", &save); part != NULL && filters.count < MAX_FILTERS;
         part = strtok_r(NULL, " \t", &save)) {
        if (mosquitto_sub_topic_check(part) == MOSQ_ERR_SUCCESS) {
            filters.topic[filters.count++] = strdup(part);
        } else {
            mosquitto_log_printf(MOSQ_LOG_ERR, "floorlink: plugin_opt_up_topic %s is not a topic filter", part);
        }
    }
    free(copy);
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
    for (int i = 0; i < supported_version_count; i++) {
        if (supported_versions[i] == 5) {
            return 5;
        }
    }
    return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata, struct mosquitto_opt *options,
                          int option_count)
{
    (void)userdata;
    plugin_id = identifier;
    filters.count = 0;
    for (int i = 0; i < option_count; i++) {
        if (strcmp(options[i].key, "up_topic") == 0) {
            add_filters(options[i].value);
        }
    }
    if (filters.count == 0) {
        add_filters(DEFAULT_FILTER);
    }
    for (int i = 0; i < filters.count; i++) {
        mosquitto_log_printf(MOSQ_LOG_INFO, "floorlink: retained publishes refused on %s", filters.topic[i]);
    }
    return mosquitto_callback_register(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL, NULL);
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
    (void)userdata;
    (void)options;
    (void)option_count;
    for (int i = 0; i < filters.count; i++) {
        free(filters.topic[i]);
    }
    filters.count = 0;
    return mosquitto_callback_unregister(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
}
