// A small Backbone app: the benchmark's "mid-size app whose own scripts include jQuery and Backbone".
(function () {
  'use strict';
  var PRIORITY = { high: 0, normal: 1, low: 2 };
  var settings = { confirmDelete: false, maxItems: 20 };

  var Todo = Backbone.Model.extend({
    defaults: { title: '', done: false, priority: 'normal' },
    validate: function (attrs) {
      if (!attrs.title || !attrs.title.trim()) { return 'A todo needs a title'; }
      if (attrs.title.length > 60) { return 'Titles are at most 60 characters'; }
      if (!_.has(PRIORITY, attrs.priority)) { return 'Unknown priority'; }
    },
    toggle: function () { this.save({ done: !this.get('done') }); },
    sync: function () { return $.Deferred().resolve().promise(); }
  });

  var Todos = Backbone.Collection.extend({
    model: Todo,
    done: function () { return this.where({ done: true }); },
    remaining: function () { return this.where({ done: false }); },
    byPriority: function () { return this.sortBy(function (m) { return PRIORITY[m.get('priority')]; }); }
  });
  var todos = new Todos([{ title: 'Buy milk' }, { title: 'Write report', priority: 'high' }, { title: 'Call mum', done: true, priority: 'low' }]);

  var TodoView = Backbone.View.extend({
    tagName: 'li',
    events: {
      'click .toggle': 'toggle', 'click .delete': 'remove_', 'dblclick span': 'edit',
      'keydown .edit': 'editKey', 'blur .edit': 'finishEdit'
    },
    initialize: function () { this.listenTo(this.model, 'change', this.render); this.listenTo(this.model, 'destroy', this.remove); },
    render: function () {
      var m = this.model;
      this.$el.html('<input type="checkbox" class="toggle" aria-label="Done: ' + _.escape(m.get('title')) + '"' + (m.get('done') ? ' checked' : '') + '> ' +
        '<span tabindex="0">' + _.escape(m.get('title')) + '</span> <small>(' + m.get('priority') + ')</small> ' +
        '<button class="delete" aria-label="Delete ' + _.escape(m.get('title')) + '">✕</button>');
      this.$el.toggleClass('done', m.get('done'));
      return this;
    },
    toggle: function () { this.model.toggle(); },
    remove_: function () {
      if (settings.confirmDelete && !window.confirm('Delete?')) { return; }
      this.model.destroy();
    },
    edit: function () {
      var input = $('<input class="edit" aria-label="Edit title">').val(this.model.get('title'));
      this.$('span').replaceWith(input);
      input.focus();
    },
    editKey: function (e) {
      if (e.key === 'Enter') { this.finishEdit(); } else if (e.key === 'Escape') { this.render(); }
    },
    finishEdit: function () {
      var value = this.$('.edit').val();
      if (value === undefined) { return; }
      if (!this.model.set({ title: value }, { validate: true })) { this.render(); this.$el.append('<em class="error">' + this.model.validationError + '</em>'); }
    }
  });

  var AppView = Backbone.View.extend({
    el: 'body',
    events: {
      'submit #new-form': 'create', 'click #toggle-all': 'toggleAll', 'click #clear-completed': 'clearCompleted',
      'click #sort': 'sort', 'click #open-settings': 'openSettings', 'click #close-settings': 'closeSettings',
      'click #save-settings': 'saveSettings'
    },
    initialize: function () {
      this.filter = 'all';
      this.listenTo(todos, 'add remove reset change:done sort', this.renderList);
      this.renderList();
    },
    visible: function () {
      if (this.filter === 'active') { return todos.remaining(); }
      if (this.filter === 'completed') { return todos.done(); }
      return this.sorted ? todos.byPriority() : todos.models;
    },
    renderList: function () {
      var list = this.$('#todo-list').empty();
      _.each(this.visible(), function (m) { list.append(new TodoView({ model: m }).render().el); });
      this.$('#clear-completed').prop('disabled', todos.done().length === 0);
    },
    create: function (e) {
      e.preventDefault();
      if (todos.length >= settings.maxItems) { this.$('#new-error').text('List is full'); return; }
      var m = new Todo({ title: this.$('#new-title').val(), priority: this.$('#new-priority').val() });
      if (!m.isValid()) { this.$('#new-error').text(m.validationError); return; }
      this.$('#new-error').text('');
      todos.add(m);
      this.$('#new-title').val('');
    },
    toggleAll: function () {
      var allDone = todos.remaining().length === 0;
      todos.each(function (m) { m.save({ done: !allDone }); });
    },
    clearCompleted: function () { _.invoke(todos.done(), 'destroy'); },
    sort: function () { this.sorted = !this.sorted; this.renderList(); },
    openSettings: function () { $('#settings').removeClass('hidden'); $('#max-items').val(settings.maxItems); },
    closeSettings: function () { $('#settings').addClass('hidden'); },
    saveSettings: function () {
      var max = parseInt($('#max-items').val(), 10);
      if (!(max >= 1 && max <= 100)) { $('#settings-error').text('Between 1 and 100'); return; }
      settings.maxItems = max;
      settings.confirmDelete = $('#confirm-delete').is(':checked');
      $('#settings-error').text('');
      this.closeSettings();
    },
    showStats: function () {
      var dl = $('#stats-list').empty();
      var counts = _.countBy(todos.models, function (m) { return m.get('priority'); });
      _.each(_.extend({ total: todos.length, done: todos.done().length }, counts), function (v, k) {
        dl.append($('<dt>').text(k)).append($('<dd>').text(v));
      });
    }
  });

  var app = new AppView();
  var Router = Backbone.Router.extend({
    routes: { '': 'all', 'active': 'active', 'completed': 'completed', 'stats': 'stats' },
    show: function (filter) { $('#stats').addClass('hidden'); $('#main').removeClass('hidden'); app.filter = filter; app.renderList(); },
    all: function () { this.show('all'); },
    active: function () { this.show('active'); },
    completed: function () { this.show('completed'); },
    stats: function () { $('#main').addClass('hidden'); $('#stats').removeClass('hidden'); app.showStats(); }
  });
  new Router();
  Backbone.history.start();
}());
